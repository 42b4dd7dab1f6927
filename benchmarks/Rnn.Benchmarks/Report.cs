using System.Globalization;

namespace Rnn.Benchmarks;

/// <summary>
/// Turns BenchmarkDotNet's CSV results into the markdown tables of docs/benchmarks.md: for each cell, workload
/// and thread count, our time and GFLOP/s next to PyTorch's and ONNX Runtime's, the ratio to the best peer
/// (above 1 means faster than every peer), the target, and allocations; and the large LSTM forward as a
/// fraction of the FMA peak measured in the same run.
/// </summary>
public static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static int Write(string directory, TextWriter output)
    {
        var layers = Path.Combine(directory, "Rnn.Benchmarks.Layers.RecurrentBenchmarks-report.csv");
        if (!File.Exists(layers))
        {
            Console.Error.WriteLine($"No layer results at {layers}: run the benchmarks first.");
            return 1;
        }

        var rows = ReadCsv(layers);
        var peak = ReadPeak(Path.Combine(directory, "Rnn.Benchmarks.Kernels.PeakFlopsBenchmark-report.csv"));
        output.WriteLine("| cell | workload | threads | Rnn infer | PyTorch infer | ORT infer | infer ratio | Rnn train | PyTorch train | train ratio | Rnn GFLOP/s infer / train | target | allocated infer / train |");
        output.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var group in rows.GroupBy(r => (Cell: r["Cell"], Workload: r["Workload"], Threads: r["Threads"])).OrderBy(g => Order(g.Key.Cell)).ThenBy(g => Order(g.Key.Workload)).ThenBy(g => g.Key.Threads, StringComparer.Ordinal))
        {
            // The CSV holds microseconds; the table shows milliseconds or microseconds.
            double? Median(string method) => group.FirstOrDefault(r => r["Method"] == method) is { } row ? Number(row["Median"]) / 1000 : null;
            string Column(string method, string name) => group.FirstOrDefault(r => r["Method"] == method) is { } row ? row[name] : "-";
            var ours = Median("RnnInference");
            var torch = Median("PyTorchInference");
            var ort = Median("OnnxRuntimeInference");
            var oursTrain = Median("RnnTrainStep");
            var torchTrain = Median("PyTorchTrainStep");
            var bestPeer = new[] { torch, ort }.Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(double.NaN).Min();
            var target = group.Key.Workload is "seed" or "stream" ? 3.0 : 1.0;
            output.WriteLine(string.Join(" | ", new[]
            {
                "| " + group.Key.Cell, group.Key.Workload, group.Key.Threads,
                Time(ours), Time(torch), Time(ort), Ratio(bestPeer, ours, target),
                Time(oursTrain), Time(torchTrain), Ratio(torchTrain ?? double.NaN, oursTrain, target),
                $"{Column("RnnInference", "GFLOP/s")} / {Column("RnnTrainStep", "GFLOP/s")}",
                $"≥ {target.ToString("0", Invariant)}×",
                $"{Column("RnnInference", "Allocated")} / {Column("RnnTrainStep", "Allocated")} |",
            }));
        }

        if (peak is { } perCore)
        {
            var twoCores = ReadPeak(Path.Combine(directory, "Rnn.Benchmarks.Kernels.PeakFlopsBenchmark-report.csv"), "Fma512TwoCores") ?? (2 * perCore);
            output.WriteLine();
            output.WriteLine($"Measured FMA peak (Vector512, same run): one core {perCore.ToString("0.0", Invariant)} GFLOP/s; two cores at once {twoCores.ToString("0.0", Invariant)} GFLOP/s ({(twoCores / perCore).ToString("0.00", Invariant)}× one core).");
            foreach (var row in rows.Where(r => r["Cell"] == "lstm" && r["Workload"] == "large" && r["Method"] == "RnnInference"))
            {
                var gflops = Number(row["GFLOP/s"]);
                var threads = int.Parse(row["Threads"], Invariant);
                var available = threads == 1 ? perCore : twoCores;
                output.WriteLine($"Large LSTM forward, {threads} thread(s): {gflops.ToString("0.0", Invariant)} GFLOP/s = {(100 * gflops / available).ToString("0.0", Invariant)} % of the measured {threads}-core peak (target ≥ 80 %).");
            }
        }

        return 0;
    }

    private static int Order(string name) => name switch
    {
        "lstm" or "seed" => 0,
        "gru" or "stream" => 1,
        "rnn" or "medium" => 2,
        _ => 3,
    };

    private static string Time(double? milliseconds) => milliseconds is { } ms
        ? ms < 1 ? $"{(ms * 1000).ToString("0.0", Invariant)} µs" : $"{ms.ToString("0.00", Invariant)} ms"
        : "-";

    private static string Ratio(double peer, double? ours, double target)
    {
        if (ours is not { } value || double.IsNaN(peer))
        {
            return "-";
        }

        var ratio = peer / value;
        var text = ratio.ToString("0.00", Invariant) + "×";
        return ratio >= target ? text : text + " (below)";
    }

    private static double Number(string text)
        => double.Parse(new string([.. text.Where(c => char.IsAsciiDigit(c) || c is '.' or '-' or 'E' or 'e')]), Invariant);

    private static double? ReadPeak(string path, string method = "Fma512")
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var row = ReadCsv(path).FirstOrDefault(r => r["Method"] == method);
        return row is null ? null : Number(row["GFLOP/s"]);
    }

    private static List<Dictionary<string, string>> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = Split(lines[0]);
        return [.. lines.Skip(1).Where(l => l.Length > 0).Select(l => header.Zip(Split(l)).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal))];
    }

    /// <summary>A CSV line into fields (quotes around fields that contain commas).</summary>
    private static List<string> Split(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString());
        return fields;
    }
}
