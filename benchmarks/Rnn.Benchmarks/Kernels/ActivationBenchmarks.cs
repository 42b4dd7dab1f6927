using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Rnn.Kernels;

namespace Rnn.Benchmarks.Kernels;

/// <summary>
/// Our float-polynomial activations against <see cref="TensorPrimitives"/> (vectorized, but through
/// double-precision exp) on a gate-sized span (128) and a large one (4096). Ratio is ours / theirs.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MedianColumn]
[MinColumn]
public class ActivationBenchmarks
{
    private float[] _x = [];
    private float[] _y = [];

    [Params(128, 4096)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _x = new float[Length];
        _y = new float[Length];
        for (var i = 0; i < _x.Length; i++)
        {
            // Pre-activations of a trained network: mostly small, some saturated.
            _x[i] = (float)((random.NextDouble() * 16) - 8);
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Sigmoid")]
    public void TensorPrimitivesSigmoid() => TensorPrimitives.Sigmoid(_x, _y);

    [Benchmark]
    [BenchmarkCategory("Sigmoid")]
    public void Sigmoid() => Activations.Sigmoid(_x, _y);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Tanh")]
    public void TensorPrimitivesTanh() => TensorPrimitives.Tanh(_x, _y);

    [Benchmark]
    [BenchmarkCategory("Tanh")]
    public void Tanh() => Activations.Tanh(_x, _y);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Exp")]
    public void TensorPrimitivesExp() => TensorPrimitives.Exp(_x, _y);

    [Benchmark]
    [BenchmarkCategory("Exp")]
    public void Exp() => Activations.Exp(_x, _y);
}
