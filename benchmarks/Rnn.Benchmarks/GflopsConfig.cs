using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;

namespace Rnn.Benchmarks;

/// <summary>Adds the <see cref="GflopsColumn"/> to a benchmark class's summary, with room for shape names.</summary>
public sealed class GflopsConfig : ManualConfig
{
    public GflopsConfig()
    {
        AddColumn(StatisticColumn.Median, StatisticColumn.Min, new GflopsColumn(best: false), new GflopsColumn(best: true));
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(40);
    }
}
