using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Rnn.Benchmarks;

/// <summary>
/// A benchmark whose every invocation performs a known number of floating-point operations, so results read
/// as GFLOP/s (and, against <c>PeakFlopsBenchmark</c>, as a fraction of the machine's FMA peak).
/// </summary>
public interface IFlopCount
{
    /// <summary>Floating-point operations (an FMA counts two) of one operation of the benchmark case.</summary>
    double FlopsPerOperation(BenchmarkCase benchmarkCase);
}

/// <summary>GFLOP/s from the mean time of one operation.</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);

    public string ColumnName => "GFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Floating-point operations per second, 1e9 (an FMA counts two), from the mean";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is null || Activator.CreateInstance(benchmarkCase.Descriptor.Type) is not IFlopCount counter)
        {
            return "-";
        }

        var seconds = report.ResultStatistics.Mean * 1e-9;
        return (counter.FlopsPerOperation(benchmarkCase) / seconds / 1e9).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
