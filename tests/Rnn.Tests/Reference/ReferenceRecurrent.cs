using Rnn.Layers;

namespace Rnn.Tests.Reference;

/// <summary>The cell kinds the reference knows, named as PyTorch's <c>mode</c>.</summary>
public enum ReferenceCell
{
    RnnTanh,
    RnnRelu,
    Lstm,
    Gru,
}

/// <summary>
/// A naive float64 implementation of a stack of recurrent layers, written from the equations in
/// ARCHITECTURE.md line by line, batch-major, one sample and one step at a time: the oracle the fast
/// float32 path is tested against. Its own backward is checked by central finite differences.
/// </summary>
/// <remarks>
/// Options mirror the library's: stacking, bidirectional, initial states, go-backwards (= running on the
/// time-reversed input and mask), masks (masked steps hold the state; returned sequences are zero there),
/// dropout between layers and recurrent dropout given as explicit masks. A bidirectional stack's output combines the top
/// layer's two directions by <see cref="Merge"/> (Keras's <c>merge_mode</c>): y = [y_f, y_r], y_f + y_r,
/// (y_f + y_r) / 2 or y_f · y_r, element by element; between layers they are always concatenated.
/// </remarks>
public sealed class ReferenceRecurrent
{
    public ReferenceRecurrent(
        ReferenceCell cell, int inputSize, int hidden, int numLayers = 1, bool bidirectional = false, bool useBias = true, BidirectionalMerge merge = BidirectionalMerge.Concat)
    {
        if (merge != BidirectionalMerge.Concat && !bidirectional)
        {
            throw new ArgumentException("A merge mode other than Concat needs two directions.", nameof(merge));
        }

        Merge = merge;
        Cell = cell;
        InputSize = inputSize;
        Hidden = hidden;
        NumLayers = numLayers;
        Bidirectional = bidirectional;
        UseBias = useBias;
        var g = Gates;
        for (var layer = 0; layer < numLayers; layer++)
        {
            var inSize = layer == 0 ? inputSize : hidden * Directions;
            for (var d = 0; d < Directions; d++)
            {
                var suffix = Suffix(layer, d);
                Parameters["weight_ih" + suffix] = new double[g * hidden * inSize];
                Parameters["weight_hh" + suffix] = new double[g * hidden * hidden];
                if (useBias)
                {
                    Parameters["bias_ih" + suffix] = new double[g * hidden];
                    Parameters["bias_hh" + suffix] = new double[g * hidden];
                }
            }
        }
    }

    public ReferenceCell Cell { get; }

    public int InputSize { get; }

    public int Hidden { get; }

    public int NumLayers { get; }

    public bool Bidirectional { get; }

    public bool UseBias { get; }

    public int Directions => Bidirectional ? 2 : 1;

    public BidirectionalMerge Merge { get; }

    /// <summary>Features of the output: H·D when concatenating, H when merging the two directions into one.</summary>
    public int OutputWidth => Merge == BidirectionalMerge.Concat ? Hidden * Directions : Hidden;

    public int Gates => Cell switch { ReferenceCell.Lstm => 4, ReferenceCell.Gru => 3, _ => 1 };

    public bool HasCell => Cell == ReferenceCell.Lstm;

    /// <summary>Parameters by PyTorch name, row-major.</summary>
    public Dictionary<string, double[]> Parameters { get; } = [];

    public static string Suffix(int layer, int direction) => $"_l{layer}{(direction == 1 ? "_reverse" : string.Empty)}";

    /// <summary>Inputs and options of one pass.</summary>
    public sealed class Pass
    {
        public required double[] Input { get; init; }   // [B, T, I]

        public required int Batch { get; init; }

        public required int Time { get; init; }

        public double[]? H0 { get; init; }              // [L·D, B, H]

        public double[]? C0 { get; init; }              // [L·D, B, H]

        public bool[]? Mask { get; init; }              // [B, T], true = real step

        public bool GoBackwards { get; init; }

        public bool ReturnSequences { get; init; } = true;

        /// <summary>Dropout multipliers on layer k's output (k &lt; L - 1), [T, B, H·D] in processing order.</summary>
        public double[][]? DropoutMasks { get; init; }

        /// <summary>
        /// Recurrent dropout multipliers of layer k, direction d at index k·D + d, [B, H]: the recurrent weights see
        /// m ⊙ h_{t-1} at every step (everything else sees h_{t-1}).
        /// </summary>
        public double[][]? RecurrentDropoutMasks { get; init; }

        /// <summary>Input dropout multipliers [B, I]: every step of sample b sees x ⊙ m[b].</summary>
        public double[]? InputDropoutMask { get; init; }
    }

    /// <summary>Results of a forward pass, with what backward needs.</summary>
    public sealed class Result
    {
        public required double[] Output { get; init; }  // [B, T, W] or [B, W], W = OutputWidth

        public required double[] HN { get; init; }      // [L·D, B, H]

        public required double[] CN { get; init; }      // [L·D, B, H] (Lstm)

        public required Pass Pass { get; init; }

        public required StepCache[][,,] Caches { get; init; }  // [layer·D + d][t, b, 0]

        public required bool[,] Valid { get; init; }           // [t, b]
    }

    /// <summary>Gradients from a backward pass.</summary>
    public sealed class Gradients
    {
        public required double[] Input { get; init; }

        public required double[] H0 { get; init; }

        public required double[] C0 { get; init; }

        public required Dictionary<string, double[]> Parameters { get; init; }
    }

    public sealed class StepCache
    {
        public double[] X { get; set; } = [];
        public double[] HPrev { get; set; } = [];
        public double[] HPrevDropped { get; set; } = [];  // what W_hh multiplies: HPrev, or m ⊙ HPrev
        public double[]? RecurrentMask { get; set; }
        public double[] CPrev { get; set; } = [];
        public double[] H { get; set; } = [];
        public double[] C { get; set; } = [];
        public double[] Act { get; set; } = [];     // activations: Lstm i,f,g,o; Gru r,z,n; Rnn h
        public double[] HiddenN { get; set; } = []; // Gru: W_hn h + b_hn
    }

    public Result Forward(Pass pass)
    {
        int batch = pass.Batch, time = pass.Time, hidden = Hidden, dirs = Directions;
        var valid = new bool[time, batch];
        var x0 = new double[time * batch * InputSize];
        for (var t = 0; t < time; t++)
        {
            var src = pass.GoBackwards ? time - 1 - t : t;
            for (var b = 0; b < batch; b++)
            {
                valid[t, b] = pass.Mask is null || pass.Mask[(b * time) + src];
                Array.Copy(pass.Input, ((b * time) + src) * InputSize, x0, ((t * batch) + b) * InputSize, InputSize);
                if (pass.InputDropoutMask is not null)
                {
                    for (var k = 0; k < InputSize; k++)
                    {
                        x0[(((t * batch) + b) * InputSize) + k] *= pass.InputDropoutMask[(b * InputSize) + k];
                    }
                }
            }
        }

        var caches = new StepCache[NumLayers * dirs][,,];
        var hn = new double[NumLayers * dirs * batch * hidden];
        var cn = new double[NumLayers * dirs * batch * hidden];
        var input = x0;
        double[] layerOut = [];
        for (var layer = 0; layer < NumLayers; layer++)
        {
            var inSize = layer == 0 ? InputSize : hidden * dirs;
            layerOut = new double[time * batch * hidden * dirs];
            for (var d = 0; d < dirs; d++)
            {
                var index = (layer * dirs) + d;
                var suffix = Suffix(layer, d);
                var cache = new StepCache[time, batch, 1];
                caches[index] = cache;
                for (var b = 0; b < batch; b++)
                {
                    var h = new double[hidden];
                    var c = new double[hidden];
                    if (pass.H0 is not null)
                    {
                        Array.Copy(pass.H0, ((index * batch) + b) * hidden, h, 0, hidden);
                    }

                    if (pass.C0 is not null)
                    {
                        Array.Copy(pass.C0, ((index * batch) + b) * hidden, c, 0, hidden);
                    }

                    for (var s = 0; s < time; s++)
                    {
                        var t = d == 0 ? s : time - 1 - s;
                        var x = new double[inSize];
                        Array.Copy(input, ((t * batch) + b) * inSize, x, 0, inSize);
                        var step = new StepCache { X = x, HPrev = h, CPrev = c };
                        if (pass.RecurrentDropoutMasks is not null)
                        {
                            step.RecurrentMask = pass.RecurrentDropoutMasks[index].Skip(b * hidden).Take(hidden).ToArray();
                        }

                        step.HPrevDropped = step.RecurrentMask is null ? h : h.Select((v, j) => v * step.RecurrentMask[j]).ToArray();
                        if (valid[t, b])
                        {
                            CellForward(suffix, inSize, step);
                        }
                        else
                        {
                            step.H = h;
                            step.C = c;
                        }

                        cache[t, b, 0] = step;
                        h = step.H;
                        c = step.C;
                        Array.Copy(h, 0, layerOut, (((t * batch) + b) * hidden * dirs) + (d * hidden), hidden);
                    }

                    Array.Copy(h, 0, hn, ((index * batch) + b) * hidden, hidden);
                    Array.Copy(c, 0, cn, ((index * batch) + b) * hidden, hidden);
                }
            }

            if (layer < NumLayers - 1 && pass.DropoutMasks is not null)
            {
                layerOut = layerOut.Select((v, i) => v * pass.DropoutMasks[layer][i]).ToArray();
            }

            input = layerOut;
        }

        var width = hidden * dirs;
        var outWidth = OutputWidth;
        var top = (NumLayers - 1) * dirs;
        double[] output;
        if (pass.ReturnSequences)
        {
            output = new double[batch * time * outWidth];
            for (var t = 0; t < time; t++)
            {
                for (var b = 0; b < batch; b++)
                {
                    if (!valid[t, b])
                    {
                        continue;
                    }

                    var row = ((t * batch) + b) * width;
                    var at = ((b * time) + t) * outWidth;
                    if (Merge == BidirectionalMerge.Concat)
                    {
                        Array.Copy(layerOut, row, output, at, width);
                        continue;
                    }

                    for (var j = 0; j < hidden; j++)
                    {
                        output[at + j] = MergeValue(layerOut[row + j], layerOut[row + hidden + j]);
                    }
                }
            }
        }
        else
        {
            output = new double[batch * outWidth];
            for (var b = 0; b < batch; b++)
            {
                if (Merge == BidirectionalMerge.Concat)
                {
                    for (var d = 0; d < dirs; d++)
                    {
                        Array.Copy(hn, (((top + d) * batch) + b) * hidden, output, (b * width) + (d * hidden), hidden);
                    }

                    continue;
                }

                for (var j = 0; j < hidden; j++)
                {
                    output[(b * hidden) + j] = MergeValue(hn[(((top * batch) + b) * hidden) + j], hn[((((top + 1) * batch) + b) * hidden) + j]);
                }
            }
        }

        return new Result { Output = output, HN = hn, CN = cn, Pass = pass, Caches = caches, Valid = valid };
    }

    public Gradients Backward(Result result, double[] outputGradient, double[]? hnGradient, double[]? cnGradient)
    {
        var pass = result.Pass;
        int batch = pass.Batch, time = pass.Time, hidden = Hidden, dirs = Directions, width = hidden * dirs;
        var merged = Merge != BidirectionalMerge.Concat;
        var top = (NumLayers - 1) * dirs;
        var grads = Parameters.ToDictionary(p => p.Key, p => new double[p.Value.Length]);
        var dh0 = new double[NumLayers * dirs * batch * hidden];
        var dc0 = new double[NumLayers * dirs * batch * hidden];

        // Gradient reaching the top layer's output sequence, [T, B, width] in processing order: through the merge,
        // each direction gets ∂y/∂y_d · dL/dy, with y_d the direction's own output at that step.
        var dLayerOut = new double[time * batch * width];
        if (pass.ReturnSequences)
        {
            for (var t = 0; t < time; t++)
            {
                for (var b = 0; b < batch; b++)
                {
                    if (!result.Valid[t, b])
                    {
                        continue;
                    }

                    var row = ((t * batch) + b) * width;
                    if (!merged)
                    {
                        Array.Copy(outputGradient, ((b * time) + t) * width, dLayerOut, row, width);
                        continue;
                    }

                    var forward = result.Caches[top][t, b, 0].H;
                    var reverse = result.Caches[top + 1][t, b, 0].H;
                    for (var j = 0; j < hidden; j++)
                    {
                        var g = outputGradient[(((b * time) + t) * hidden) + j];
                        dLayerOut[row + j] = MergeGradient(g, reverse[j]);
                        dLayerOut[row + hidden + j] = MergeGradient(g, forward[j]);
                    }
                }
            }
        }

        double[] dInput = [];
        for (var layer = NumLayers - 1; layer >= 0; layer--)
        {
            var inSize = layer == 0 ? InputSize : width;
            dInput = new double[time * batch * inSize];
            for (var d = 0; d < dirs; d++)
            {
                var index = (layer * dirs) + d;
                var suffix = Suffix(layer, d);
                var cache = result.Caches[index];
                for (var b = 0; b < batch; b++)
                {
                    var dh = new double[hidden];
                    var dc = new double[hidden];
                    if (hnGradient is not null)
                    {
                        for (var j = 0; j < hidden; j++)
                        {
                            dh[j] += hnGradient[(((index * batch) + b) * hidden) + j];
                        }
                    }

                    if (cnGradient is not null)
                    {
                        for (var j = 0; j < hidden; j++)
                        {
                            dc[j] += cnGradient[(((index * batch) + b) * hidden) + j];
                        }
                    }

                    if (layer == NumLayers - 1 && !pass.ReturnSequences)
                    {
                        for (var j = 0; j < hidden; j++)
                        {
                            dh[j] += merged
                                ? MergeGradient(outputGradient[(b * hidden) + j], result.HN[((((top + 1 - d) * batch) + b) * hidden) + j])
                                : outputGradient[(b * width) + (d * hidden) + j];
                        }
                    }

                    for (var s = time - 1; s >= 0; s--)
                    {
                        var t = d == 0 ? s : time - 1 - s;
                        var step = cache[t, b, 0];
                        for (var j = 0; j < hidden; j++)
                        {
                            dh[j] += dLayerOut[(((t * batch) + b) * width) + (d * hidden) + j];
                        }

                        if (!result.Valid[t, b])
                        {
                            continue;
                        }

                        var dx = new double[inSize];
                        (dh, dc) = CellBackward(suffix, inSize, step, dh, dc, dx, grads);
                        for (var k = 0; k < inSize; k++)
                        {
                            dInput[(((t * batch) + b) * inSize) + k] += dx[k];
                        }
                    }

                    Array.Copy(dh, 0, dh0, ((index * batch) + b) * hidden, hidden);
                    Array.Copy(dc, 0, dc0, ((index * batch) + b) * hidden, hidden);
                }
            }

            if (layer > 0)
            {
                if (pass.DropoutMasks is not null)
                {
                    for (var i = 0; i < dInput.Length; i++)
                    {
                        dInput[i] *= pass.DropoutMasks[layer - 1][i];
                    }
                }

                dLayerOut = dInput;
            }
        }

        var dX = new double[batch * time * InputSize];
        for (var t = 0; t < time; t++)
        {
            var dst = pass.GoBackwards ? time - 1 - t : t;
            for (var b = 0; b < batch; b++)
            {
                Array.Copy(dInput, ((t * batch) + b) * InputSize, dX, ((b * time) + dst) * InputSize, InputSize);
                if (pass.InputDropoutMask is not null)
                {
                    for (var k = 0; k < InputSize; k++)
                    {
                        dX[(((b * time) + dst) * InputSize) + k] *= pass.InputDropoutMask[(b * InputSize) + k];
                    }
                }
            }
        }

        return new Gradients { Input = dX, H0 = dh0, C0 = dc0, Parameters = grads };
    }

    /// <summary>The scalar Σ out·dOut + Σ h_n·dh_n + Σ c_n·dc_n whose gradient <see cref="Backward"/> computes.</summary>
    public double Loss(Pass pass, double[] outputGradient, double[]? hnGradient, double[]? cnGradient)
    {
        var r = Forward(pass);
        var loss = Dot(r.Output, outputGradient);
        if (hnGradient is not null)
        {
            loss += Dot(r.HN, hnGradient);
        }

        if (cnGradient is not null)
        {
            loss += Dot(r.CN, cnGradient);
        }

        return loss;
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

    /// <summary>y from the forward output y_f and the reverse output y_r.</summary>
    private double MergeValue(double forward, double reverse) => Merge switch
    {
        BidirectionalMerge.Sum => forward + reverse,
        BidirectionalMerge.Average => (forward + reverse) / 2,
        BidirectionalMerge.Multiply => forward * reverse,
        _ => throw new InvalidOperationException($"No element-wise merge for {Merge}."),
    };

    /// <summary>dL/dy_d from dL/dy and the other direction's output: ∂(y_f + y_r)/∂y_d = 1, ∂((y_f + y_r)/2)/∂y_d = 1/2, ∂(y_f·y_r)/∂y_f = y_r.</summary>
    private double MergeGradient(double gradient, double other) => Merge switch
    {
        BidirectionalMerge.Sum => gradient,
        BidirectionalMerge.Average => gradient / 2,
        BidirectionalMerge.Multiply => gradient * other,
        _ => throw new InvalidOperationException($"No element-wise merge for {Merge}."),
    };

    private static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>W[row, :] · v.</summary>
    private static double RowDot(double[] w, int row, int cols, double[] v)
    {
        var sum = 0.0;
        for (var k = 0; k < cols; k++)
        {
            sum += w[(row * cols) + k] * v[k];
        }

        return sum;
    }

    private double Bias(string name, int row) => UseBias ? Parameters[name][row] : 0.0;

    private void CellForward(string suffix, int inSize, StepCache step)
    {
        int hidden = Hidden, g = Gates;
        var wih = Parameters["weight_ih" + suffix];
        var whh = Parameters["weight_hh" + suffix];
        var xs = new double[g * hidden];
        var hs = new double[g * hidden];
        for (var r = 0; r < g * hidden; r++)
        {
            xs[r] = RowDot(wih, r, inSize, step.X) + Bias("bias_ih" + suffix, r);
            hs[r] = RowDot(whh, r, hidden, step.HPrevDropped) + Bias("bias_hh" + suffix, r);
        }

        step.H = new double[hidden];
        step.C = new double[hidden];
        step.Act = new double[g * hidden];
        switch (Cell)
        {
            case ReferenceCell.Lstm:
                for (var j = 0; j < hidden; j++)
                {
                    var i = Sigmoid(xs[j] + hs[j]);
                    var f = Sigmoid(xs[hidden + j] + hs[hidden + j]);
                    var gg = Math.Tanh(xs[(2 * hidden) + j] + hs[(2 * hidden) + j]);
                    var o = Sigmoid(xs[(3 * hidden) + j] + hs[(3 * hidden) + j]);
                    step.C[j] = (f * step.CPrev[j]) + (i * gg);
                    step.H[j] = o * Math.Tanh(step.C[j]);
                    (step.Act[j], step.Act[hidden + j], step.Act[(2 * hidden) + j], step.Act[(3 * hidden) + j]) = (i, f, gg, o);
                }

                break;
            case ReferenceCell.Gru:
                step.HiddenN = new double[hidden];
                for (var j = 0; j < hidden; j++)
                {
                    var r = Sigmoid(xs[j] + hs[j]);
                    var z = Sigmoid(xs[hidden + j] + hs[hidden + j]);
                    var n = Math.Tanh(xs[(2 * hidden) + j] + (r * hs[(2 * hidden) + j]));
                    step.H[j] = ((1 - z) * n) + (z * step.HPrev[j]);
                    step.HiddenN[j] = hs[(2 * hidden) + j];
                    (step.Act[j], step.Act[hidden + j], step.Act[(2 * hidden) + j]) = (r, z, n);
                }

                break;
            default:
                for (var j = 0; j < hidden; j++)
                {
                    var a = xs[j] + hs[j];
                    step.H[j] = Cell == ReferenceCell.RnnRelu ? Math.Max(a, 0) : Math.Tanh(a);
                    step.Act[j] = step.H[j];
                }

                break;
        }

        if (!HasCell)
        {
            step.C = step.CPrev;
        }
    }

    /// <summary>Backward through one step: from dL/dh_t, dL/dc_t to dL/dh_{t-1}, dL/dc_{t-1}; adds dL/dx and parameter gradients.</summary>
    private (double[] Dh, double[] Dc) CellBackward(string suffix, int inSize, StepCache step, double[] dh, double[] dc, double[] dx, Dictionary<string, double[]> grads)
    {
        int hidden = Hidden, g = Gates;
        var dXs = new double[g * hidden];  // dL/d(W_ih x + b_ih)
        var dHs = new double[g * hidden];  // dL/d(W_hh h + b_hh)
        var dhPrev = new double[hidden];
        var dhProduct = new double[hidden];  // dL/d(HPrevDropped)
        var dcPrev = new double[hidden];
        var a = step.Act;
        switch (Cell)
        {
            case ReferenceCell.Lstm:
                for (var j = 0; j < hidden; j++)
                {
                    double i = a[j], f = a[hidden + j], gg = a[(2 * hidden) + j], o = a[(3 * hidden) + j];
                    var tc = Math.Tanh(step.C[j]);
                    var dcj = dc[j] + (dh[j] * o * (1 - (tc * tc)));
                    dXs[j] = dcj * gg * i * (1 - i);
                    dXs[hidden + j] = dcj * step.CPrev[j] * f * (1 - f);
                    dXs[(2 * hidden) + j] = dcj * i * (1 - (gg * gg));
                    dXs[(3 * hidden) + j] = dh[j] * tc * o * (1 - o);
                    dcPrev[j] = dcj * f;
                }

                Array.Copy(dXs, dHs, dXs.Length);
                break;
            case ReferenceCell.Gru:
                for (var j = 0; j < hidden; j++)
                {
                    double r = a[j], z = a[hidden + j], n = a[(2 * hidden) + j];
                    var dn = dh[j] * (1 - z) * (1 - (n * n));
                    var dz = dh[j] * (step.HPrev[j] - n) * z * (1 - z);
                    var dr = dn * step.HiddenN[j] * r * (1 - r);
                    dXs[j] = dr;
                    dXs[hidden + j] = dz;
                    dXs[(2 * hidden) + j] = dn;
                    dHs[j] = dr;
                    dHs[hidden + j] = dz;
                    dHs[(2 * hidden) + j] = dn * r;
                    dhPrev[j] = dh[j] * z;
                }

                break;
            default:
                for (var j = 0; j < hidden; j++)
                {
                    var h = a[j];
                    dXs[j] = Cell == ReferenceCell.RnnRelu ? (h > 0 ? dh[j] : 0) : dh[j] * (1 - (h * h));
                }

                Array.Copy(dXs, dHs, dXs.Length);
                break;
        }

        var wih = Parameters["weight_ih" + suffix];
        var whh = Parameters["weight_hh" + suffix];
        var gWih = grads["weight_ih" + suffix];
        var gWhh = grads["weight_hh" + suffix];
        for (var r = 0; r < g * hidden; r++)
        {
            for (var k = 0; k < inSize; k++)
            {
                gWih[(r * inSize) + k] += dXs[r] * step.X[k];
                dx[k] += dXs[r] * wih[(r * inSize) + k];
            }

            for (var k = 0; k < hidden; k++)
            {
                gWhh[(r * hidden) + k] += dHs[r] * step.HPrevDropped[k];
                dhProduct[k] += dHs[r] * whh[(r * hidden) + k];
            }

            if (UseBias)
            {
                grads["bias_ih" + suffix][r] += dXs[r];
                grads["bias_hh" + suffix][r] += dHs[r];
            }
        }

        for (var k = 0; k < hidden; k++)
        {
            dhPrev[k] += step.RecurrentMask is null ? dhProduct[k] : step.RecurrentMask[k] * dhProduct[k];
        }

        return (dhPrev, HasCell ? dcPrev : dc);
    }
}
