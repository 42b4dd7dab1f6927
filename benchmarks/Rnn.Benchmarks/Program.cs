using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Running;
using Rnn.Benchmarks.Peers;

namespace Rnn.Benchmarks;

/// <summary>
/// Entry point. <c>benchmarks/run.sh</c> runs everything and writes the report; by hand:
/// <c>dotnet run -c Release --project benchmarks/Rnn.Benchmarks -- --filter '*'</c> (BenchmarkDotNet's options),
/// then <c>... -- report</c> to turn the CSV results into the tables of docs/benchmarks.md.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "report")
        {
            return Report.Write(args.Length > 1 ? args[1] : "BenchmarkDotNet.Artifacts/results", Console.Out);
        }

        var config = ManualConfig.Create(DefaultConfig.Instance);
        if (!TorchPeer.TryLoad(out var problem))
        {
            Console.WriteLine($"PyTorch benchmarks skipped: libtorch could not load ({problem}). On Debian 12, run benchmarks/torchsharp-fix.sh.");
            config.AddFilter(new SimpleFilter(b => !b.Descriptor.WorkloadMethod.Name.StartsWith("PyTorch", StringComparison.Ordinal)));
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }
}
