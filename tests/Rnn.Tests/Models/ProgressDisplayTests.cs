using Rnn.Models;

namespace Rnn.Tests.Models;

public class ProgressDisplayTests
{
    private static readonly Dictionary<string, float> Logs = new() { ["loss"] = 0.25f, ["mae"] = 0.0004f };

    [Fact]
    public void Terminal_DrawsABarInPlaceWithStepsEtaAndLogs()
    {
        var output = new StringWriter();
        var display = new ProgressDisplay(output, verbose: 1, interactive: true, epochs: 3, batches: 4);
        display.EpochBegin(0);
        for (var batch = 0; batch < 4; batch++)
        {
            display.BatchEnd(batch, Logs);
        }

        display.EpochEnd(0, new Dictionary<string, float>(Logs) { ["val_loss"] = 0.5f });
        var text = output.ToString();
        Assert.StartsWith("Epoch 1/3" + Environment.NewLine + "\r", text, StringComparison.Ordinal);
        Assert.Contains("\r1/4 ━━━━━", text, StringComparison.Ordinal);
        Assert.Contains("\r4/4 ━━━━━━━━━━━━━━━━━━━━", text, StringComparison.Ordinal);
        Assert.Contains("/step - loss: 0.2500 - mae: 4.0000e-04", text, StringComparison.Ordinal);
        Assert.EndsWith("- val_loss: 0.5000\u001b[K" + Environment.NewLine, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Redirected_WritesOneLinePerEpochAndNoBar()
    {
        var output = new StringWriter();
        var display = new ProgressDisplay(output, verbose: 1, interactive: false, epochs: 2, batches: 4);
        display.EpochBegin(1);
        display.BatchEnd(0, Logs);
        display.EpochEnd(1, Logs);
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("Epoch 2/2 - 4/4 - ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain('\r', output.ToString());
    }

    [Fact]
    public void Silent_WritesNothing()
    {
        var output = new StringWriter();
        var display = new ProgressDisplay(output, verbose: 0, interactive: true, epochs: 2, batches: 4);
        display.EpochBegin(0);
        display.BatchEnd(0, Logs);
        display.EpochEnd(0, Logs);
        Assert.Equal(string.Empty, output.ToString());
    }
}
