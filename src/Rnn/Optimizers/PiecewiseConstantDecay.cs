namespace Rnn.Optimizers;

/// <summary>
/// Keras's <c>PiecewiseConstantDecay(boundaries, values)</c>: a constant rate between boundaries,
/// <c>rate(k) = η·values[i]</c> where i is the number of boundaries &lt; k. So <c>values[0]</c> holds for
/// k ≤ <c>boundaries[0]</c>, <c>values[i]</c> for <c>boundaries[i-1]</c> &lt; k ≤ <c>boundaries[i]</c>, and the last value
/// for k past the last boundary.
/// </summary>
/// <remarks>
/// <para>
/// Keras's values are rates; here they are factors of the optimizer's <see cref="Optimizer.LearningRate"/> η,
/// so that lowering η lowers the whole schedule. Keras's rates exactly: an optimizer with learning rate 1 and
/// Keras's values, <c>new Sgd(learningRate: 1f) { Schedule = new PiecewiseConstantDecay([100000, 110000], [1f, 0.5f, 0.1f]) }</c>;
/// or the first value as η and the others divided by it.
/// </para>
/// <para>
/// PyTorch's <c>MultiStepLR(milestones, gamma)</c> changes the rate <em>at</em> a milestone, where Keras changes it
/// <em>after</em> a boundary: it is this schedule with boundaries <c>milestone - 1</c> and values γ⁰, γ¹, …, or
/// directly <see cref="MultiStepDecay"/>.
/// </para>
/// </remarks>
public sealed class PiecewiseConstantDecay : LearningRateSchedule
{
    private const string Title = "piecewise_constant_decay";

    private readonly long[] _boundaries;
    private readonly float[] _values;

    /// <summary>Creates the schedule.</summary>
    /// <param name="boundaries">Steps, each ≥ 0, strictly increasing (Keras's <c>boundaries</c>).</param>
    /// <param name="values">One more factor than boundaries, each finite and ≥ 0: the rate of each interval as a fraction of η.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">
    /// The boundaries are out of order, the counts do not match, or a value is out of its range (<see cref="ArgumentOutOfRangeException"/>).
    /// </exception>
    public PiecewiseConstantDecay(IEnumerable<long> boundaries, IEnumerable<float> values)
    {
        _boundaries = ScheduleGuard.OrderedSteps(Title, boundaries, nameof(boundaries), strictly: true);
        ArgumentNullException.ThrowIfNull(values);
        _values = [.. values];
        if (_values.Length != _boundaries.Length + 1)
        {
            throw new ArgumentException(
                $"Schedule '{Title}' expects one more value than boundaries but received {_boundaries.Length} boundaries and {_values.Length} values.", nameof(values));
        }

        for (var i = 0; i < _values.Length; i++)
        {
            if (!(_values[i] >= 0f && float.IsFinite(_values[i])))
            {
                throw ScheduleGuard.OutOfRange(Title, nameof(values), _values[i], "finite values >= 0", $"{ScheduleGuard.Show(_values[i])} at index {i}");
            }
        }
    }

    /// <inheritdoc/>
    public override string Name => Title;

    /// <summary>The steps after which the next value holds, strictly increasing.</summary>
    public IReadOnlyList<long> Boundaries => _boundaries;

    /// <summary>The rate of each interval as a fraction of η; one more than <see cref="Boundaries"/>.</summary>
    public IReadOnlyList<float> Values => _values;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig() => new Dictionary<string, string>
    {
        ["boundaries"] = ConfigReader.Format(_boundaries),
        ["values"] = ConfigReader.Format(_values),
    };

    /// <inheritdoc/>
    protected override float Compute(long iteration, float baseRate)
    {
        // Boundaries < k are the boundaries <= k - 1 (k ≥ 0, so k - 1 cannot overflow).
        return (float)((double)baseRate * _values[ScheduleGuard.CountAtMost(_boundaries, iteration - 1)]);
    }
}
