namespace GoldenGenerator;

/// <summary>
/// A naive float64 forward pass written from the equations in design/ARCHITECTURE.md (PyTorch's gate
/// orders: LSTM i, f, g, o; GRU r, z, n with the reset applied after the recurrent product), used only
/// to check that a generated file holds what we think it holds. Tensors are flat, row-major, named
/// as in the golden files.
/// </summary>
internal static class ReferenceRnn
{
    /// <summary>output [B, T, D·H], h_n [L·D, B, H] and, for LSTM, c_n [L·D, B, H].</summary>
    public static (double[] Output, double[] HN, double[]? CN) Forward(GoldenCase c, IReadOnlyDictionary<string, double[]> t)
    {
        int batch = c.Batch, time = c.Time, hidden = c.HiddenSize, directions = c.Directions, gates = c.Gates;
        var isLstm = c.Mode == RnnMode.Lstm;
        var hN = new double[c.NumLayers * directions * batch * hidden];
        var cN = isLstm ? new double[hN.Length] : null;
        var layerInput = t["input"];
        var inputSize = c.InputSize;
        for (var layer = 0; layer < c.NumLayers; layer++)
        {
            var output = new double[batch * time * directions * hidden];
            for (var d = 0; d < directions; d++)
            {
                var suffix = $"_l{layer}{(d == 1 ? "_reverse" : "")}";
                var wIh = t["weight_ih" + suffix]; // [G·H, in]
                var wHh = t["weight_hh" + suffix]; // [G·H, H]
                var bIh = c.Bias ? t["bias_ih" + suffix] : new double[gates * hidden];
                var bHh = c.Bias ? t["bias_hh" + suffix] : new double[gates * hidden];
                var state = (layer * directions) + d;
                for (var b = 0; b < batch; b++)
                {
                    var h = new double[hidden];
                    var cell = new double[hidden];
                    if (c.HasInitialState)
                    {
                        Array.Copy(t["h0"], ((state * batch) + b) * hidden, h, 0, hidden);
                        if (isLstm)
                        {
                            Array.Copy(t["c0"], ((state * batch) + b) * hidden, cell, 0, hidden);
                        }
                    }

                    for (var step = 0; step < time; step++)
                    {
                        var tt = d == 0 ? step : time - 1 - step;
                        var xOffset = ((b * time) + tt) * inputSize;
                        var gi = new double[gates * hidden]; // W_ih x + b_ih
                        var gh = new double[gates * hidden]; // W_hh h + b_hh
                        for (var row = 0; row < gates * hidden; row++)
                        {
                            var si = bIh[row];
                            for (var k = 0; k < inputSize; k++)
                            {
                                si += wIh[(row * inputSize) + k] * layerInput[xOffset + k];
                            }

                            var sh = bHh[row];
                            for (var k = 0; k < hidden; k++)
                            {
                                sh += wHh[(row * hidden) + k] * h[k];
                            }

                            gi[row] = si;
                            gh[row] = sh;
                        }

                        var next = new double[hidden];
                        for (var j = 0; j < hidden; j++)
                        {
                            switch (c.Mode)
                            {
                                case RnnMode.Lstm:
                                    var i = Sigmoid(gi[j] + gh[j]);
                                    var f = Sigmoid(gi[hidden + j] + gh[hidden + j]);
                                    var g = Math.Tanh(gi[(2 * hidden) + j] + gh[(2 * hidden) + j]);
                                    var o = Sigmoid(gi[(3 * hidden) + j] + gh[(3 * hidden) + j]);
                                    cell[j] = (f * cell[j]) + (i * g);
                                    next[j] = o * Math.Tanh(cell[j]);
                                    break;
                                case RnnMode.Gru:
                                    var r = Sigmoid(gi[j] + gh[j]);
                                    var z = Sigmoid(gi[hidden + j] + gh[hidden + j]);
                                    var n = Math.Tanh(gi[(2 * hidden) + j] + (r * gh[(2 * hidden) + j]));
                                    next[j] = ((1 - z) * n) + (z * h[j]);
                                    break;
                                case RnnMode.RnnTanh:
                                    next[j] = Math.Tanh(gi[j] + gh[j]);
                                    break;
                                default:
                                    next[j] = Math.Max(0, gi[j] + gh[j]);
                                    break;
                            }
                        }

                        h = next;
                        Array.Copy(h, 0, output, ((((b * time) + tt) * directions) + d) * hidden, hidden);
                    }

                    Array.Copy(h, 0, hN, ((state * batch) + b) * hidden, hidden);
                    if (cN is not null)
                    {
                        Array.Copy(cell, 0, cN, ((state * batch) + b) * hidden, hidden);
                    }
                }
            }

            layerInput = output;
            inputSize = directions * hidden;
        }

        return (layerInput, hN, cN);
    }

    /// <summary>The loss whose gradients the file holds: Σ output·grad_output + Σ h_n·grad_h_n (+ Σ c_n·grad_c_n).</summary>
    public static double Loss(GoldenCase c, IReadOnlyDictionary<string, double[]> t)
    {
        var (output, hN, cN) = Forward(c, t);
        var loss = Dot(output, t["grad_output"]) + Dot(hN, t["grad_h_n"]);
        return cN is null ? loss : loss + Dot(cN, t["grad_c_n"]);
    }

    private static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
