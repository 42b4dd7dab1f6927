namespace Rnn.Layers;

/// <summary>
/// How a bidirectional recurrent layer combines the outputs of its two directions into its output, as Keras's
/// <c>Bidirectional(merge_mode=...)</c>. For the forward direction's output y_f and the reverse direction's y_r
/// (each [batch, time, H] or [batch, H], the reverse one aligned with the forward one in time):
/// <code>
/// Concat    y = [y_f, y_r]         2H features   ('concat')
/// Sum       y = y_f + y_r          H features    ('sum')
/// Average   y = (y_f + y_r) / 2    H features    ('ave')
/// Multiply  y = y_f ⊙ y_r          H features    ('mul')
/// </code>
/// It applies to the layer's output only: between stacked layers the directions are always concatenated (as
/// in PyTorch), and the final states stay per direction.
/// </summary>
public enum BidirectionalMerge
{
    /// <summary>y = [y_f, y_r], 2H features: the forward direction's units, then the reverse one's (Keras's <c>'concat'</c>, PyTorch's output).</summary>
    Concat,

    /// <summary>y = y_f + y_r, H features (Keras's <c>'sum'</c>).</summary>
    Sum,

    /// <summary>y = (y_f + y_r) / 2, H features (Keras's <c>'ave'</c>).</summary>
    Average,

    /// <summary>y = y_f ⊙ y_r, element-wise, H features (Keras's <c>'mul'</c>).</summary>
    Multiply,
}
