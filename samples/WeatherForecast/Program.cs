// WeatherForecast: tomorrow's maximum temperature in Seattle from the last two weeks of daily weather,
// with an LSTM and a GRU trained the same way, against the persistence forecast (tomorrow = today).
// Data: daily Seattle weather 2012–2015 (NOAA, public domain; see samples/data/README.md).
// With --data stocks: next month's closing price of one stock from monthly prices 2000–2010 (vega-datasets, MIT).
using System.Diagnostics;
using System.Globalization;
using Rnn;
using Rnn.Data;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Models;
using Rnn.Optimizers;

var options = Options.Parse(args);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");

// 1. Read the data: one row per day (or month), several features, and the quantity to forecast.
var data = options.Data == "stocks" ? Datasets.Stocks(options.Symbol) : Datasets.Weather(options.WeatherType);
if (options.Smoke)
{
    data = data.Head(400);
}

var rows = data.Features.GetLength(0);
var featureCount = data.Features.GetLength(1);
Console.WriteLine($"{data.Title}: {rows} rows × {featureCount} features ({string.Join(", ", data.FeatureNames)}), {data.Dates[0]:yyyy-MM-dd} to {data.Dates[^1]:yyyy-MM-dd}");

// 2. Split by time: the last quarter is the test period. The test part starts with the last `window` training
//    rows, as inputs only, so that every test row is forecast and none is seen in training.
var window = options.Window ?? data.DefaultWindow;
var (train, test) = TimeSeries.TrainTestSplit(data.Features, testFraction: 0.25f, overlap: window);
var trainRows = train.GetLength(0);

// 3. Scale every feature with statistics of the training part only, then cut windows → the next row's target.
var scaler = new StandardScaler();
scaler.Fit(train);
var (xTrain, yTrain) = TimeSeries.ForecastWindows(scaler.Transform(train), window, targetColumns: [data.TargetColumn]);
var (xTest, _) = TimeSeries.ForecastWindows(scaler.Transform(test), window, targetColumns: [data.TargetColumn]);
var testCount = (int)xTest.Lengths[0];
Console.WriteLine($"train: {xTrain.Lengths[0]} windows of {window} steps (last 20% for validation); test: {testCount} windows, {data.Dates[trainRows]:yyyy-MM-dd} to {data.Dates[^1]:yyyy-MM-dd}");

// What each test window is scored on, in the data's unit: the actual next value and the persistence forecast.
var actual = new float[testCount];
var persistence = new float[testCount];
for (var i = 0; i < testCount; i++)
{
    actual[i] = data.Level[trainRows + i];
    persistence[i] = data.Level[trainRows + i - 1];
}

// 4. Train an LSTM and a GRU of the same size the same way, with a few seeds each, and score them on the test period.
//    One untimed epoch of each first, so that neither model's time includes compiling the library's code.
Console.WriteLine(Train("LSTM", seed: -1, epochs: 1).Model.Summary());
Train("GRU", seed: -1, epochs: 1);
var results = new Dictionary<string, List<(double Mae, double Seconds, int Epochs, float[] Forecast)>>();
foreach (var kind in new[] { "LSTM", "GRU" })
{
    results[kind] = [];
    for (var seed = 0; seed < options.Seeds; seed++)
    {
        var (model, epochs, bestEpoch, seconds) = Train(kind, seed, options.Epochs);
        var predicted = new float[testCount];
        model.Predict(xTest).FlattenTo(predicted);
        var forecast = new float[testCount];
        for (var i = 0; i < testCount; i++)
        {
            var target = (predicted[i] * scaler.Scale[data.TargetColumn]) + scaler.Mean[data.TargetColumn];
            forecast[i] = data.ForecastFrom(target, persistence[i]);
        }

        var mae = MeanAbsoluteError(forecast, actual);
        results[kind].Add((mae, seconds, epochs, forecast));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{kind} seed {seed}: test MAE {mae:0.000} {data.Unit}, trained {epochs} epochs (weights of epoch {bestEpoch}) in {seconds:0.00} s ({1000 * seconds / epochs:0} ms/epoch)"));
    }
}

// 5. Plot the test period: actual, and the first seed's forecast of each model.
var plotPath = Path.GetFullPath(options.PlotPath ?? Path.Combine("out", $"{options.Data}-forecast.png"));
Directory.CreateDirectory(Path.GetDirectoryName(plotPath)!);
var xs = data.Dates[trainRows..].Select(d => d.ToOADate()).ToArray();
var plot = new ScottPlot.Plot();
plot.Add.ScatterLine(xs, actual.Select(v => (double)v).ToArray()).LegendText = "actual";
foreach (var (kind, runs) in results)
{
    plot.Add.ScatterLine(xs, runs[0].Forecast.Select(v => (double)v).ToArray()).LegendText = $"{kind} forecast";
}

plot.Axes.DateTimeTicksBottom();
plot.Title($"{data.Title}, test period");
plot.YLabel(data.Unit);
plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
plot.SavePng(plotPath, 1100, 450);
Console.WriteLine($"plot: {plotPath}");

// 6. The answer to "LSTM or GRU?" on this data: test error (mean ± standard deviation over seeds) and training time
//    (mean per model, and per epoch since early stopping ends each run at a different epoch).
var baseline = MeanAbsoluteError(persistence, actual);
var summary = results.Select(r => string.Create(CultureInfo.InvariantCulture,
    $"{r.Key} {r.Value.Average(v => v.Mae):0.000} ± {StandardDeviation(r.Value.Select(v => v.Mae)):0.000} {data.Unit} in {r.Value.Average(v => v.Seconds):0.00} s ({1000 * r.Value.Sum(v => v.Seconds) / r.Value.Sum(v => v.Epochs):0.0} ms/epoch)"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"test MAE: {string.Join(", ", summary)}, persistence {baseline:0.000} {data.Unit}"));

// A fresh model of the given kind, trained with early stopping on the last 20% of the training windows
// (the best epoch's weights are kept).
(Sequential Model, int Epochs, int BestEpoch, double Seconds) Train(string kind, int seed, int epochs)
{
    Layer recurrent = kind == "LSTM"
        ? new Lstm(options.Units, inputShape: (window, featureCount))
        : new Gru(options.Units, inputShape: (window, featureCount));
    var model = new Sequential([recurrent, new Dense(1)], seed: seed);
    model.Compile(new Adam(learningRate: options.LearningRate), Loss.MeanSquaredError);
    var stopEarly = new EarlyStopping(patience: 10, restoreBestWeights: true);
    var clock = Stopwatch.StartNew();
    var history = model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 32, validationSplit: 0.2f, callbacks: [stopEarly], verbose: 0);
    return (model, history.EpochCount, (stopEarly.BestEpoch ?? history.EpochCount - 1) + 1, clock.Elapsed.TotalSeconds);
}

static double MeanAbsoluteError(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
{
    var sum = 0.0;
    for (var i = 0; i < actual.Length; i++)
    {
        sum += Math.Abs(predicted[i] - (double)actual[i]);
    }

    return sum / actual.Length;
}

static double StandardDeviation(IEnumerable<double> values)
{
    var list = values.ToList();
    var mean = list.Average();
    return list.Count < 2 ? 0 : Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1));
}

/// <summary>
/// A table of rows in time order: the model's input features, the column it forecasts, and the quantity the
/// forecast is scored on (<see cref="Level"/>, in <see cref="Unit"/>).
/// </summary>
internal sealed record Dataset(
    string Title, string Unit, DateTime[] Dates, string[] FeatureNames, float[,] Features, int TargetColumn, float[] Level, bool TargetIsLogReturn, int DefaultWindow)
{
    /// <summary>The forecast of the next level from the model's target value and today's level.</summary>
    public float ForecastFrom(float target, float today) => TargetIsLogReturn ? today * MathF.Exp(target) : target;

    /// <summary>The first <paramref name="count"/> rows (for a quick smoke run).</summary>
    public Dataset Head(int count)
    {
        count = Math.Min(count, Dates.Length);
        var features = new float[count, FeatureNames.Length];
        Array.Copy(Features, features, count * FeatureNames.Length);
        return this with { Dates = Dates[..count], Features = features, Level = Level[..count] };
    }
}

internal static class Datasets
{
    private static readonly string[] WeatherTypes = ["drizzle", "rain", "sun", "snow", "fog"];

    /// <summary>
    /// Daily Seattle weather, one row per day: precipitation (mm), max and min temperature (°C), wind (m/s), the day
    /// of the year as a point on the circle (sin, cos) and, when asked, the weather type one-hot. Forecasts temp_max.
    /// </summary>
    /// <remarks>
    /// The weather type is off by default: its labels change meaning over the years (2012 has 191 days of "rain"
    /// and 5 of "fog", 2014 has 3 of "rain" and 151 of "fog"), so a model that learns them on 2012–2014 is misled
    /// on 2015.
    /// </remarks>
    public static Dataset Weather(bool withWeatherType)
    {
        var lines = File.ReadLines(DataPath("seattle-weather.csv")).Skip(1).Select(line => line.Split(',')).ToArray();
        string[] names = ["precipitation", "temp_max", "temp_min", "wind", "day sin", "day cos", .. withWeatherType ? WeatherTypes : []];
        var features = new float[lines.Length, names.Length];
        for (var r = 0; r < lines.Length; r++)
        {
            var fields = lines[r];
            for (var c = 0; c < 4; c++)
            {
                features[r, c] = float.Parse(fields[c + 1], CultureInfo.InvariantCulture);
            }

            var date = DateTime.ParseExact(fields[0], "yyyy/MM/dd", CultureInfo.InvariantCulture);
            var angle = 2 * Math.PI * date.DayOfYear / 365.25;
            features[r, 4] = (float)Math.Sin(angle);
            features[r, 5] = (float)Math.Cos(angle);
            if (withWeatherType)
            {
                features[r, 6 + Array.IndexOf(WeatherTypes, fields[5])] = 1f;
            }
        }

        var level = Enumerable.Range(0, lines.Length).Select(r => features[r, 1]).ToArray();
        return new Dataset(
            "Seattle, next-day maximum temperature", "°C", [.. lines.Select(l => DateTime.ParseExact(l[0], "yyyy/MM/dd", CultureInfo.InvariantCulture))], names,
            features, TargetColumn: 1, level, TargetIsLogReturn: false, DefaultWindow: 14);
    }

    /// <summary>
    /// Monthly closing prices: the features are the monthly log returns, ln(close / previous close), of every
    /// symbol listed for all the months of <paramref name="symbol"/>'s history; the model forecasts next month's
    /// log return of <paramref name="symbol"/>, scored as the price it implies. Returns rather than prices, because
    /// a price in the test years can lie far outside anything the training years saw.
    /// </summary>
    public static Dataset Stocks(string symbol)
    {
        var prices = File.ReadLines(DataPath("stocks.csv")).Skip(1)
            .Select(line => line.Split(','))
            .Select(f => (Symbol: f[0], Month: DateTime.ParseExact(f[1], "MMM d yyyy", CultureInfo.InvariantCulture), Close: float.Parse(f[2], CultureInfo.InvariantCulture)))
            .ToLookup(p => p.Symbol, p => (p.Month, p.Close));
        if (!prices.Contains(symbol))
        {
            throw new ArgumentException($"Unknown symbol '{symbol}'; stocks.csv has {string.Join(", ", prices.Select(p => p.Key))}.");
        }

        var months = prices[symbol].Select(p => p.Month).Order().ToArray();
        var symbols = prices.Where(p => months.All(m => p.Any(q => q.Month == m))).Select(p => p.Key).ToArray();
        var close = symbols.ToDictionary(s => s, s => prices[s].ToDictionary(p => p.Month, p => p.Close));
        var features = new float[months.Length - 1, symbols.Length];
        for (var r = 0; r < months.Length - 1; r++)
        {
            for (var c = 0; c < symbols.Length; c++)
            {
                features[r, c] = MathF.Log(close[symbols[c]][months[r + 1]] / close[symbols[c]][months[r]]);
            }
        }

        var level = months[1..].Select(m => close[symbol][m]).ToArray();
        return new Dataset(
            $"{symbol}, next-month close", "$", months[1..],
            [.. symbols.Select(s => $"{s} return")], features, Array.IndexOf(symbols, symbol), level, TargetIsLogReturn: true, DefaultWindow: 12);
    }

    private static string DataPath(string file) => Path.Combine(AppContext.BaseDirectory, "data", file);
}

/// <summary>Command-line options; see README.md.</summary>
internal sealed record Options(string Data, string Symbol, int Epochs, int Units, int Seeds, int? Window, float LearningRate, bool WeatherType, bool Smoke, string? PlotPath)
{
    public static Options Parse(string[] args)
    {
        var options = new Options("weather", "MSFT", Epochs: 60, Units: 32, Seeds: 10, Window: null, LearningRate: 1e-3f, WeatherType: false, Smoke: false, PlotPath: null);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"Option {args[i]} needs a value.");
            options = args[i] switch
            {
                "--data" => options with { Data = Value() is var d && d is "weather" or "stocks" ? d : throw new ArgumentException("--data is weather or stocks.") },
                "--symbol" => options with { Data = "stocks", Symbol = Value() },
                "--epochs" => options with { Epochs = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--units" => options with { Units = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--seeds" => options with { Seeds = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--window" => options with { Window = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--lr" => options with { LearningRate = float.Parse(Value(), CultureInfo.InvariantCulture) },
                "--weather-type" => options with { WeatherType = true },
                "--plot" => options with { PlotPath = Value() },
                "--smoke" => options with { Smoke = true, Epochs = 1, Seeds = 1 },
                _ => throw new ArgumentException(
                    $"Unknown option '{args[i]}'. Options: --data weather|stocks, --symbol MSFT, --epochs N, --units N, --seeds N, --window N, --lr X, --weather-type, --plot file.png, --smoke."),
            };
        }

        return options;
    }
}
