using System.Diagnostics;
using System.Globalization;
using Rnn.Benchmarks.Kernels;
using Rnn.Benchmarks.Layers;
using Rnn.Benchmarks.Peers;

namespace Rnn.Benchmarks;

/// <summary>
/// <c>paired</c>: Rnn, ONNX Runtime, PyTorch and the FMA peak timed in turns inside one process, so that each ratio
/// compares times taken within the same second or two. This machine changes speed over minutes (and the distance
/// between its two vCPUs within seconds), while BenchmarkDotNet runs each case in its own process one after the
/// other: a ratio from its table can compare a fast minute with a slow one. Here every round times a block of each
/// contender in a rotating order and gives one ratio per round; the report is the median ratio, its range, and in
/// how many rounds the target held.
/// </summary>
/// <remarks>
/// A block is at least <c>--block-ms</c> (default 150 ms) and two calls; a 60 ms pause after each lets the spinning
/// threads of every runtime (ours, ONNX Runtime's, libtorch's) go to sleep before the next contender starts.
/// Each contender is warmed up for a second first. BenchmarkDotNet stays the reference for absolute times
/// (iterations, outliers, the memory diagnoser); this complements it for ratios.
/// </remarks>
internal static class Paired
{
    private const int PauseMs = 60;

    private static readonly string[] Options = ["--cells", "--workloads", "--threads", "--modes", "--rounds", "--block-ms"];

    public static int Run(string[] args, TextWriter output)
    {
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!Options.Contains(args[i]))
            {
                throw new ArgumentException($"paired takes {string.Join(", ", Options)} (each followed by a value), not '{args[i]}'.");
            }
        }

        var cells = Option(args, "--cells", "lstm,gru,rnn");
        var workloads = Option(args, "--workloads", "seed,stream,medium,large");
        var threads = Option(args, "--threads", "1,2").Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var modes = Option(args, "--modes", "infer,train");
        var rounds = int.Parse(Option(args, "--rounds", "11")[0], CultureInfo.InvariantCulture);
        var blockMs = double.Parse(Option(args, "--block-ms", "150")[0], CultureInfo.InvariantCulture);
        Check("--cells", cells, ["lstm", "gru", "rnn"]);
        Check("--workloads", workloads, [.. Workload.All.Select(w => w.Name)]);
        Check("--modes", modes, ["infer", "train"]);

        var torch = TorchPeer.TryLoad(out var problem);
        if (!torch)
        {
            output.WriteLine($"PyTorch skipped: libtorch could not load ({problem}). On Debian 12, run benchmarks/torchsharp-fix.sh.");
        }

        output.WriteLine($"Paired run, {rounds} rounds, blocks of at least {blockMs} ms, started {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        output.WriteLine();
        output.WriteLine("| cell | workload | threads | mode | Rnn | PyTorch | ORT | best-peer ratio: median [min–max] | rounds at target | Rnn GFLOP/s | % of peak: median [min–max] |");
        output.WriteLine("|---|---|---|---|---:|---:|---:|---|---|---:|---|");
        foreach (var cell in cells)
        {
            foreach (var workload in workloads.Select(Workload.Named))
            {
                foreach (var threadCount in threads)
                {
                    foreach (var mode in modes)
                    {
                        output.WriteLine(Case(cell, workload, threadCount, mode == "train", torch, rounds, blockMs));
                        output.Flush();
                    }
                }
            }
        }

        return 0;
    }

    private static string Case(string cell, Workload w, int threads, bool train, bool torch, int rounds, double blockMs)
    {
        Parallelism.ThreadCount = threads;
        var (model, x, y, output) = w.CreateCase(cell);
        using var torchPeer = torch ? new TorchPeer(cell, w, threads) : null;
        using var ortPeer = train ? null : new OrtPeer(cell, w, threads);
        var peak = new PeakFlopsBenchmark();
        using var second = threads > 1 ? new SecondCore(() => peak.Fma512()) : null;
        var peakCall = new Action(() => peak.Fma512());
        var contenders = new List<(string Name, Action Call)>
        {
            ("Rnn", train ? () => model.TrainOnBatch(x, y) : () => model.Predict(x, output, batchSize: w.Batch)),
            ("peak", second is null ? peakCall : () => second.RunWith(peakCall)),
        };
        if (torchPeer is not null)
        {
            contenders.Add(("PyTorch", train ? torchPeer.TrainStep : torchPeer.Inference));
        }

        if (ortPeer is not null)
        {
            contenders.Add(("ORT", ortPeer.Inference));
        }

        foreach (var (_, call) in contenders)
        {
            Block(call, 1000);
        }

        var times = contenders.ToDictionary(c => c.Name, _ => new List<double>());
        for (var r = 0; r < rounds; r++)
        {
            for (var i = 0; i < contenders.Count; i++)
            {
                var (name, call) = contenders[(i + r) % contenders.Count];
                times[name].Add(Block(call, blockMs));
            }
        }

        var flops = (train ? 3 : 1) * w.ForwardFlops(cell);
        var peakFlops = threads * PeakFlopsBenchmark.Fma512Flops;
        var ratios = new List<double>();
        var percents = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            var best = times.Where(t => t.Key is "PyTorch" or "ORT").Select(t => t.Value[r]).DefaultIfEmpty(double.NaN).Min();
            ratios.Add(best / times["Rnn"][r]);
            percents.Add(100 * (flops / times["Rnn"][r]) / (peakFlops / times["peak"][r]));
        }

        var target = w.Name is "seed" or "stream" ? 3.0 : 1.0;
        string Time(string name) => times.TryGetValue(name, out var list) ? Format(Median(list)) : "–";
        var ratio = double.IsNaN(ratios[0]) ? "–" : $"{Median(ratios):F2}× [{ratios.Min():F2}–{ratios.Max():F2}]";
        var atTarget = double.IsNaN(ratios[0]) ? "–" : $"{ratios.Count(q => q >= target)} of {rounds} (≥ {target:0}×)";
        return $"| {cell} | {w.Name} | {threads} | {(train ? "train" : "infer")} | {Time("Rnn")} | {Time("PyTorch")} | {Time("ORT")} | {ratio} | {atTarget} " +
            $"| {flops / Median(times["Rnn"]) / 1e3:F1} | {Median(percents):F1} [{percents.Min():F1}–{percents.Max():F1}] |";
    }

    /// <summary>Calls <paramref name="call"/> for at least <paramref name="milliseconds"/> and twice; returns µs per call, then pauses.</summary>
    private static double Block(Action call, double milliseconds)
    {
        var clock = Stopwatch.StartNew();
        var calls = 0;
        do
        {
            call();
            calls++;
        }
        while (calls < 2 || clock.Elapsed.TotalMilliseconds < milliseconds);

        var perCall = clock.Elapsed.TotalMicroseconds / calls;
        Thread.Sleep(PauseMs);
        return perCall;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Format(double microseconds) => microseconds >= 1000
        ? string.Create(CultureInfo.InvariantCulture, $"{microseconds / 1000:F2} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{microseconds:F1} µs");

    private static void Check(string option, string[] values, string[] allowed)
    {
        if (values.Except(allowed).FirstOrDefault() is { } unknown)
        {
            throw new ArgumentException($"{option} takes a comma-separated list of {string.Join(", ", allowed)}, not '{unknown}'.");
        }
    }

    private static string[] Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        if (index >= 0 && index + 1 >= args.Length)
        {
            throw new ArgumentException($"{name} needs a value (default {fallback}).");
        }

        var value = index < 0 ? fallback : args[index + 1];
        return value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
