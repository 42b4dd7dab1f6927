using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Rnn.Layers;

/// <summary>Forward and backward of each <see cref="Activation"/> over rows of a span.</summary>
internal static class ActivationFunctions
{
    /// <summary>y = f(x), <paramref name="x"/> and <paramref name="y"/> [rows, columns] (may alias).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(Activation activation, ReadOnlySpan<float> x, Span<float> y, int columns)
    {
        switch (activation)
        {
            case Activation.Linear:
                x.CopyTo(y);
                break;
            case Activation.Relu:
                TensorPrimitives.Max(x, 0f, y);
                break;
            case Activation.Sigmoid:
                TensorPrimitives.Sigmoid(x, y);
                break;
            case Activation.Tanh:
                TensorPrimitives.Tanh(x, y);
                break;
            case Activation.Softmax:
                for (var r = 0; r < x.Length; r += columns)
                {
                    TensorPrimitives.SoftMax(x.Slice(r, columns), y.Slice(r, columns));
                }

                break;
            case Activation.Elu:
                for (var i = 0; i < x.Length; i++)
                {
                    y[i] = x[i] > 0f ? x[i] : MathF.Exp(x[i]) - 1f;
                }

                break;
            case Activation.Softplus:
                for (var i = 0; i < x.Length; i++)
                {
                    // log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), which neither overflows nor loses small values.
                    y[i] = MathF.Max(x[i], 0f) + MathF.Log(1f + MathF.Exp(-MathF.Abs(x[i])));
                }

                break;
            case Activation.Silu:
                for (var i = 0; i < x.Length; i++)
                {
                    y[i] = x[i] / (1f + MathF.Exp(-x[i]));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

    /// <summary>dx = dy · f'(x), given x, y = f(x) and dy, all [rows, columns]; <paramref name="dx"/> may alias <paramref name="dy"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(Activation activation, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int columns)
    {
        switch (activation)
        {
            case Activation.Linear:
                dy.CopyTo(dx);
                break;
            case Activation.Relu:
                for (var i = 0; i < dy.Length; i++)
                {
                    dx[i] = x[i] > 0f ? dy[i] : 0f;
                }

                break;
            case Activation.Sigmoid:
                for (var i = 0; i < dy.Length; i++)
                {
                    dx[i] = dy[i] * y[i] * (1f - y[i]);
                }

                break;
            case Activation.Tanh:
                for (var i = 0; i < dy.Length; i++)
                {
                    dx[i] = dy[i] * (1f - (y[i] * y[i]));
                }

                break;
            case Activation.Softmax:
                // dx_i = y_i (dy_i - Σ_j dy_j y_j)
                for (var r = 0; r < dy.Length; r += columns)
                {
                    var dot = TensorPrimitives.Dot(dy.Slice(r, columns), y.Slice(r, columns));
                    for (var i = r; i < r + columns; i++)
                    {
                        dx[i] = y[i] * (dy[i] - dot);
                    }
                }

                break;
            case Activation.Elu:
                for (var i = 0; i < dy.Length; i++)
                {
                    dx[i] = x[i] > 0f ? dy[i] : dy[i] * (y[i] + 1f);
                }

                break;
            case Activation.Softplus:
                for (var i = 0; i < dy.Length; i++)
                {
                    dx[i] = dy[i] / (1f + MathF.Exp(-x[i]));
                }

                break;
            case Activation.Silu:
                for (var i = 0; i < dy.Length; i++)
                {
                    var s = 1f / (1f + MathF.Exp(-x[i]));
                    dx[i] = dy[i] * (s + (x[i] * s * (1f - s)));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

    /// <summary>Keras's name of an activation (<c>relu</c>, <c>softmax</c>, ...).</summary>
    public static string Name(Activation activation) => activation switch
    {
        Activation.Linear => "linear",
        Activation.Relu => "relu",
        Activation.Sigmoid => "sigmoid",
        Activation.Tanh => "tanh",
        Activation.Softmax => "softmax",
        Activation.Elu => "elu",
        Activation.Softplus => "softplus",
        Activation.Silu => "silu",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };

    /// <summary>The activation with Keras's name <paramref name="name"/>.</summary>
    public static Activation Parse(string name) => name switch
    {
        "linear" => Activation.Linear,
        "relu" => Activation.Relu,
        "sigmoid" => Activation.Sigmoid,
        "tanh" => Activation.Tanh,
        "softmax" => Activation.Softmax,
        "elu" => Activation.Elu,
        "softplus" => Activation.Softplus,
        "silu" or "swish" => Activation.Silu,
        _ => throw new ArgumentException($"Unknown activation '{name}'; expected one of linear, relu, sigmoid, tanh, softmax, elu, softplus, silu.", nameof(name)),
    };
}
