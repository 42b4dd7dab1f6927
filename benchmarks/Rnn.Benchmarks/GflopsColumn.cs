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

/// <summary>
/// GFLOP/s of one operation, from the median time (<see cref="Best"/> = false) or the fastest iteration
/// (true). The median and the best are reported rather than the mean because this 2-core machine is shared
/// with other work, whose bursts inflate the mean; the best iteration estimates what the code does alone.
/// </summary>
public sealed class GflopsColumn(bool best) : IColumn
{
    /// <summary>Whether this column uses the fastest iteration rather than the median.</summary>
    public bool Best { get; } = best;

    public string Id => nameof(GflopsColumn) + (Best ? "Best" : "Median");

    public string ColumnName => Best ? "GFLOP/s best" : "GFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => Best
        ? "Floating-point operations per second, 1e9 (an FMA counts two), from the fastest iteration"
        : "Floating-point operations per second, 1e9 (an FMA counts two), from the median";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is null || Activator.CreateInstance(benchmarkCase.Descriptor.Type) is not IFlopCount counter)
        {
            return "-";
        }

        var seconds = (Best ? report.ResultStatistics.Min : report.ResultStatistics.Median) * 1e-9;
        return (counter.FlopsPerOperation(benchmarkCase) / seconds / 1e9).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
