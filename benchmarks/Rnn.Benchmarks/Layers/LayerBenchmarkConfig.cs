using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using Perfolizer.Metrology;

namespace Rnn.Benchmarks.Layers;

/// <summary>
/// A short job (the large workloads take a third of a second per training step), the memory diagnoser, the
/// median and minimum, and a CSV the report tool reads to compute ratios, GFLOP/s and % of peak.
/// </summary>
public sealed class LayerBenchmarkConfig : ManualConfig
{
    public LayerBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).WithLaunchCount(1).WithMinIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(150)));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.Min, new GflopsColumn(best: false), new GflopsColumn(best: true));
        AddExporter(new CsvExporter(CsvSeparator.Comma, SummaryStyle.Default.WithTimeUnit(Perfolizer.Horology.TimeUnit.Microsecond).WithSizeUnit(SizeUnit.B)));
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(20);
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}
