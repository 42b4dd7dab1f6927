// Quickstart: forecast the next hour's temperature in Seattle from the previous 10 hours with an LSTM.
// Data: hourly temperatures of 2010 (NOAA, public domain; see samples/data/README.md).
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Rnn;
using Rnn.Data;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;

const int Window = 10;
var epochs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
var plotPath = Path.GetFullPath(args.Length > 1 ? args[1] : Path.Combine("out", "quickstart-forecast.png"));
Directory.CreateDirectory(Path.GetDirectoryName(plotPath)!);

// 1. Read the series and split it by time: the last 20% of the year is the test set.
var temperatures = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "seattle-temps.csv"))
    .Skip(1)
    .Select(line => float.Parse(line.Split(',')[1], CultureInfo.InvariantCulture))
    .ToArray();
var split = (int)(temperatures.Length * 0.8);
var train = temperatures[..split];
var test = temperatures[(split - Window)..];

// 2. Scale with statistics of the training part only, then cut windows of 10 hours → the next hour.
var scaler = new StandardScaler();
scaler.Fit(train);
var (xTrain, yTrain) = TimeSeries.ForecastWindows(scaler.Transform(train), sequenceLength: Window);
var (xTest, yTest) = TimeSeries.ForecastWindows(scaler.Transform(test), sequenceLength: Window);

// 3. The model: LSTM(20) over windows of 10 steps × 1 feature, then Dense(1).
var model = new Sequential([new Lstm(20, inputShape: (Window, 1)), new Dense(1)], seed: 42);
model.Compile(new Adam(learningRate: 1e-2f), Loss.MeanSquaredError);
Console.WriteLine(model.Summary());
var clock = Stopwatch.StartNew();
var history = model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 32, validationSplit: 0.2f);
Console.WriteLine($"trained {history.EpochCount} epochs in {clock.Elapsed.TotalSeconds:0.0} s");

// 4. Forecast the test hours and compare, in °F², with the last-value baseline (tomorrow = today).
Tensor<float> prediction = model.Predict(xTest);
var forecast = scaler.InverseTransform(prediction.ToArray());
var actual = test[Window..];
var lastValue = test[(Window - 1)..^1];
var ours = MeanSquaredError(forecast, actual);
var baseline = MeanSquaredError(lastValue, actual);

// 5. Plot two weeks of the test period: forecast against actual.
var hours = Enumerable.Range(0, 14 * 24).Select(h => (double)h).ToArray();
var plot = new ScottPlot.Plot();
plot.Add.ScatterLine(hours, actual[..hours.Length].Select(v => (double)v).ToArray()).LegendText = "actual";
plot.Add.ScatterLine(hours, forecast[..hours.Length].Select(v => (double)v).ToArray()).LegendText = "LSTM forecast (1 h ahead)";
plot.Title("Seattle, hourly temperature, first two weeks of the test period");
plot.XLabel("hour");
plot.YLabel("°F");
plot.ShowLegend();
plot.SavePng(plotPath, 1000, 450);
Console.WriteLine($"plot: {plotPath}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test MSE: {ours:0.0000} (last-value baseline: {baseline:0.0000})"));

static double MeanSquaredError(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
{
    var sum = 0.0;
    for (var i = 0; i < actual.Length; i++)
    {
        sum += (predicted[i] - (double)actual[i]) * (predicted[i] - actual[i]);
    }

    return sum / actual.Length;
}
