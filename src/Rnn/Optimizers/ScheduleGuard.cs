using System.Globalization;

namespace Rnn.Optimizers;

/// <summary>
/// Argument checks shared by the built-in schedules, with one message shape:
/// <c>Schedule 'name' expects what but received value.</c>
/// </summary>
internal static class ScheduleGuard
{
    /// <summary>A step count ≥ 1.</summary>
    public static long Steps(string schedule, long value, string parameter)
        => value >= 1 ? value : throw OutOfRange(schedule, parameter, value, $"{parameter} >= 1", Show(value));

    /// <summary>A fraction in [0, 1].</summary>
    public static float Fraction(string schedule, float value, string parameter)
        => value is >= 0f and <= 1f ? value : throw OutOfRange(schedule, parameter, value, $"{parameter} in [0, 1]", Show(value));

    /// <summary>A positive, finite number.</summary>
    public static float Positive(string schedule, float value, string parameter)
        => value > 0f && float.IsFinite(value) ? value : throw OutOfRange(schedule, parameter, value, $"a positive, finite {parameter}", Show(value));

    /// <summary>A finite number ≥ 0.</summary>
    public static float NonNegative(string schedule, float value, string parameter)
        => value >= 0f && float.IsFinite(value) ? value : throw OutOfRange(schedule, parameter, value, $"a finite {parameter} >= 0", Show(value));

    /// <summary>
    /// A copy of a list of steps, each ≥ 0, in increasing order: strictly increasing when
    /// <paramref name="strictly"/>, else non-decreasing (a repeated step counts twice).
    /// </summary>
    public static long[] OrderedSteps(string schedule, IEnumerable<long> values, string parameter, bool strictly)
    {
        ArgumentNullException.ThrowIfNull(values, parameter);
        long[] steps = [.. values];
        for (var i = 0; i < steps.Length; i++)
        {
            if (steps[i] < 0)
            {
                throw new ArgumentOutOfRangeException(parameter, steps[i], $"Schedule '{schedule}' expects {parameter} >= 0 but received {Show(steps[i])} at index {i} ({parameter} [{string.Join(", ", steps)}]).");
            }

            if (i > 0 && (strictly ? steps[i] <= steps[i - 1] : steps[i] < steps[i - 1]))
            {
                throw new ArgumentException($"Schedule '{schedule}' expects {parameter} in {(strictly ? "strictly increasing" : "increasing")} order but received {Show(steps[i])} after {Show(steps[i - 1])} ({parameter} [{string.Join(", ", steps)}]).", parameter);
            }
        }

        return steps;
    }

    /// <summary>The number of entries of the increasing <paramref name="sorted"/> that are ≤ <paramref name="value"/> (Python's <c>bisect_right</c>).</summary>
    public static int CountAtMost(long[] sorted, long value)
    {
        var (low, high) = (0, sorted.Length);
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            (low, high) = sorted[middle] <= value ? (middle + 1, high) : (low, middle);
        }

        return low;
    }

    /// <summary>Formats a value as the messages show it (invariant culture, round-trip form).</summary>
    public static string Show(float value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Formats a whole number as the messages show it.</summary>
    public static string Show(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The exception for <paramref name="parameter"/> = <paramref name="value"/> when <paramref name="expected"/> was expected.</summary>
    public static ArgumentOutOfRangeException OutOfRange(string schedule, string parameter, object value, string expected, string shown)
        => new(parameter, value, $"Schedule '{schedule}' expects {expected} but received {shown}.");
}
