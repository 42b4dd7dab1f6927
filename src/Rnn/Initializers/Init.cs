namespace Rnn.Initializers;

/// <summary>Weight initializers (float64 arithmetic, rounded once to float).</summary>
internal static class Init
{
    /// <summary>Uniform in [-limit, limit].</summary>
    public static void Uniform(Span<float> values, double limit, RandomSource random)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((2 * random.NextDouble()) - 1) * limit);
        }
    }

    /// <summary>Glorot (Xavier) uniform: limit √(6 / (fanIn + fanOut)) (Glorot and Bengio, 2010).</summary>
    public static void GlorotUniform(Span<float> values, int fanIn, int fanOut, RandomSource random)
        => Uniform(values, Math.Sqrt(6.0 / (fanIn + fanOut)), random);

    /// <summary>
    /// A [rows, columns] matrix (row-major) with orthonormal columns when rows ≥ columns, orthonormal rows
    /// otherwise: the Q factor of a Gaussian matrix with the signs of R's diagonal folded in, as Keras's and
    /// PyTorch's <c>orthogonal</c> initializers do (Saxe et al., 2014).
    /// </summary>
    public static void Orthogonal(Span<float> values, int rows, int columns, RandomSource random)
    {
        // Orthonormalize the columns of a tall Gaussian matrix [tall, narrow] by modified Gram–Schmidt
        // (the same Q and R signs as Householder QR), then transpose when the wanted shape is wide.
        var tall = Math.Max(rows, columns);
        var narrow = Math.Min(rows, columns);
        var q = new double[tall * narrow];
        for (var i = 0; i < q.Length; i++)
        {
            q[i] = random.NextNormal();
        }

        for (var j = 0; j < narrow; j++)
        {
            for (var k = 0; k < j; k++)
            {
                var dot = 0.0;
                for (var i = 0; i < tall; i++)
                {
                    dot += q[(i * narrow) + j] * q[(i * narrow) + k];
                }

                for (var i = 0; i < tall; i++)
                {
                    q[(i * narrow) + j] -= dot * q[(i * narrow) + k];
                }
            }

            var norm = 0.0;
            for (var i = 0; i < tall; i++)
            {
                norm += q[(i * narrow) + j] * q[(i * narrow) + j];
            }

            norm = Math.Sqrt(norm);
            for (var i = 0; i < tall; i++)
            {
                q[(i * narrow) + j] /= norm;
            }
        }

        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                values[(i * columns) + j] = (float)(rows >= columns ? q[(i * narrow) + j] : q[(j * narrow) + i]);
            }
        }
    }
}
