using BenchmarkDotNet.Configs;

namespace Rnn.Benchmarks;

/// <summary>Adds the <see cref="GflopsColumn"/> to a benchmark class's summary.</summary>
public sealed class GflopsConfig : ManualConfig
{
    public GflopsConfig() => AddColumn(new GflopsColumn());
}
