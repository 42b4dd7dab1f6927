using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Running;
using Rnn.Benchmarks.Peers;

namespace Rnn.Benchmarks;

/// <summary>
/// Entry point. <c>benchmarks/run.sh</c> runs everything and writes the report; by hand:
/// <c>dotnet run -c Release --project benchmarks/Rnn.Benchmarks -- --filter '*'</c> (BenchmarkDotNet's options),
/// then <c>... -- report</c> to turn the CSV results into the tables of docs/benchmarks.md; <c>... -- paired</c> times
/// ours and the peers in turns inside one process (see <see cref="Paired"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "report")
        {
            return Report.Write(args.Length > 1 ? args[1] : "BenchmarkDotNet.Artifacts/results", Console.Out);
        }

        if (args.Length > 0 && args[0] == "paired")
        {
            return Paired.Run(args[1..], Console.Out);
        }

        var config = ManualConfig.Create(DefaultConfig.Instance);
        args = TakeParameterFilter(args, "--cells", "Cell", config);
        args = TakeParameterFilter(args, "--workloads", "Workload", config);
        args = TakeParameterFilter(args, "--threads", "Threads", config);
        if (!TorchPeer.TryLoad(out var problem))
        {
            Console.WriteLine($"PyTorch benchmarks skipped: libtorch could not load ({problem}). On Debian 12, run benchmarks/torchsharp-fix.sh.");
            config.AddFilter(new SimpleFilter(b => !b.Descriptor.WorkloadMethod.Name.StartsWith("PyTorch", StringComparison.Ordinal)));
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }

    /// <summary>
    /// Our own options, removed before BenchmarkDotNet sees the arguments: <c>--cells lstm,gru</c>,
    /// <c>--workloads medium,large</c>, <c>--threads 2</c> keep only the layer benchmark cases with those parameter values.
    /// </summary>
    private static string[] TakeParameterFilter(string[] args, string option, string parameter, ManualConfig config)
    {
        var index = Array.IndexOf(args, option);
        if (index < 0)
        {
            return args;
        }

        if (index + 1 >= args.Length)
        {
            throw new ArgumentException($"{option} needs a comma-separated list of values, e.g. {option} {(parameter == "Threads" ? "1,2" : "lstm,gru")}.");
        }

        var wanted = args[index + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        config.AddFilter(new SimpleFilter(b =>
        {
            var value = b.Parameters.Items.FirstOrDefault(p => p.Name == parameter)?.Value;
            return value is null || wanted.Contains(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);
        }));
        return [.. args[..index], .. args[(index + 2)..]];
    }
}
