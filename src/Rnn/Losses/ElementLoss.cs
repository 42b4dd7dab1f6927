namespace Rnn.Losses;

/// <summary>
/// The formula of an element-wise loss: a value and its derivative for one prediction p against its target y, in double.
/// One small struct per loss, run by the one loop of <see cref="ElementLoss"/> (the operator pattern of .NET's
/// TensorPrimitives), so that a loss's file holds its equations and nothing else.
/// </summary>
internal interface IElementLoss
{
    /// <summary>f(p, y).</summary>
    /// <param name="p">The prediction.</param>
    /// <param name="y">Its target.</param>
    /// <returns>The loss of this one value.</returns>
    static abstract double Value(double p, double y);

    /// <summary>∂f/∂p at (p, y).</summary>
    /// <param name="p">The prediction.</param>
    /// <param name="y">Its target.</param>
    /// <returns>The derivative.</returns>
    static abstract double Derivative(double p, double y);
}

/// <summary>The loop over a row that every <see cref="IElementLoss"/> shares.</summary>
internal static class ElementLoss
{
    /// <summary><c>Σ_i f(p_i, y_i)</c> over a row and, when <paramref name="gradient"/> is not empty, <c>scale · ∂f/∂p_i</c> into it.</summary>
    /// <typeparam name="TLoss">The formula.</typeparam>
    /// <param name="prediction">[k].</param>
    /// <param name="target">[k].</param>
    /// <param name="gradient">[k] to overwrite, or empty.</param>
    /// <param name="scale">The factor of every derivative.</param>
    /// <returns>The sum of the values.</returns>
    public static double Sum<TLoss>(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, double scale)
        where TLoss : IElementLoss
    {
        var sum = 0.0;
        for (var i = 0; i < prediction.Length; i++)
        {
            double p = prediction[i], y = target[i];
            sum += TLoss.Value(p, y);
            if (!gradient.IsEmpty)
            {
                gradient[i] = (float)(scale * TLoss.Derivative(p, y));
            }
        }

        return sum;
    }

    /// <summary><c>(1/k) Σ_i f(p_i, y_i)</c>: the loss of a row for the losses that average over the last axis, and the value of a sample-step for the metrics built on them.</summary>
    /// <typeparam name="TLoss">The formula.</typeparam>
    /// <param name="prediction">[k].</param>
    /// <param name="target">[k].</param>
    /// <param name="gradient">[k] to overwrite with <c>scale · (1/k) ∂f/∂p_i</c>, or empty.</param>
    /// <param name="scale">The factor that turns dℓ into d(mean loss); unused without a gradient.</param>
    /// <returns>The mean of the values.</returns>
    public static double Mean<TLoss>(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient = default, double scale = 0)
        where TLoss : IElementLoss
        => Sum<TLoss>(prediction, target, gradient, scale / prediction.Length) / prediction.Length;
}
