using System.Globalization;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Models;
using Rnn.Optimizers;

namespace Rnn.Tests.Models;

/// <summary>
/// Keras's checkpoint file patterns: <c>{epoch}</c> and logged quantities with Python format specs. Expected names are
/// what Python's <c>str.format</c> prints for the float64 value of the float32 logs (Keras logs Python floats).
/// </summary>
public sealed class ModelCheckpointPathTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("m-{epoch}.safetensors", "m-7.safetensors")]
    [InlineData("m-{epoch:02d}.safetensors", "m-07.safetensors")]
    [InlineData("m-{epoch:5d}", "m-    7")]
    [InlineData("{val_loss:.4f}", "0.1235")]           // float(np.float32(0.12345)) = 0.12345000356...
    [InlineData("{loss:.2e}", "1.23e-03")]
    [InlineData("{loss:e}", "1.230000e-03")]
    [InlineData("{big:.1e}", "1.2e+20")]
    [InlineData("{neg:08.3f}", "-001.500")]
    [InlineData("{neg:8.2f}", "   -1.50")]
    [InlineData("{val_loss}", "0.12345000356435776")]  // Python's repr of that float64
    [InlineData("{epoch:03d}-{neg:.1f}-{epoch}", "007--1.5-7")]
    public void FormatPath_FollowsPythonsFormatSpecs(string pattern, string expected)
    {
        var logs = new Dictionary<string, float> { ["loss"] = 0.00123f, ["val_loss"] = 0.12345f, ["neg"] = -1.5f, ["big"] = 1.2e20f };

        Assert.Equal(expected, ModelCheckpoint.FormatPath(pattern, 6, logs));
    }

    [Fact]
    public void FormatPath_UnloggedKey_OrFractionAsWholeNumber_Throws()
    {
        var logs = new Dictionary<string, float> { ["loss"] = 0.5f };

        var missing = Assert.Throws<InvalidOperationException>(() => ModelCheckpoint.FormatPath("{val_loss:.2f}", 0, logs));
        Assert.Contains("logged no 'val_loss'", missing.Message, StringComparison.Ordinal);
        Assert.Contains("loss", missing.Message, StringComparison.Ordinal);
        Assert.Contains("whole numbers only", Assert.Throws<InvalidOperationException>(() => ModelCheckpoint.FormatPath("{loss:d}", 0, logs)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{epoch:x}")]
    [InlineData("{epoch:.2d}")]
    [InlineData("{loss:>8.2f}")]
    public void Constructor_UnsupportedSpec_ThrowsNamingIt(string pattern)
    {
        var error = Assert.Throws<ArgumentException>(() => new ModelCheckpoint(pattern));
        Assert.Contains(pattern, error.Message, StringComparison.Ordinal);
        Assert.Equal("path", error.ParamName);
    }

    [Fact]
    public void Fit_WritesOneFileNamedByEpochAndLoss()
    {
        var model = new Sequential([new Gru(3, inputShape: (null, 2)), new Dense(1)], seed: 4);
        model.Compile(new Adam(1e-2f), Loss.MeanSquaredError);
        var pattern = Path.Combine(_directory, "m-{epoch:02d}-{loss:.3f}.safetensors");

        var history = model.Fit(TestUtil.RandomTensor(1, 12, 4, 2), TestUtil.RandomTensor(2, 12, 1), epochs: 3, verbose: 0, callbacks: [new ModelCheckpoint(pattern, monitor: "loss")]);

        var expected = Enumerable.Range(0, 3).Select(e => $"m-{e + 1:00}-{((double)history["loss"][e]).ToString("F3", CultureInfo.InvariantCulture)}.safetensors");
        Assert.Equal(expected.Order(StringComparer.Ordinal), Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
