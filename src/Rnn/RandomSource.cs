using System.Diagnostics;

namespace Rnn;

/// <summary>
/// The library's random numbers: SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014; reference code https://prng.di.unimi.it/splitmix64.c), a generator whose output for a
/// seed is fixed by its definition and whose whole state is one 64-bit word. Used instead of <see cref="Random"/>,
/// whose seeded sequence .NET does not promise to keep across versions, so that a seed gives the same weights,
/// dropout masks and shuffles on every runtime, and so that a saved model can resume its random sequence exactly.
/// </summary>
internal sealed class RandomSource
{
    /// <summary>Starts the sequence at <paramref name="seed"/> (negative seeds are sign-extended).</summary>
    public RandomSource(long seed)
    {
        State = unchecked((ulong)seed);
    }

    /// <summary>The whole state; setting it resumes a sequence saved earlier.</summary>
    public ulong State { get; set; }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        unchecked
        {
            var z = State += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>
    /// A uniform integer in [0, <paramref name="bound"/>), without modulo bias: Lemire's multiply-and-reject method
    /// ("Fast Random Integer Generation in an Interval", ACM TOMACS 2019) on the high 32 bits of each output.
    /// </summary>
    public int NextInt32(int bound)
    {
        Debug.Assert(bound > 0);
        var range = (uint)bound;
        var product = (ulong)(uint)(NextUInt64() >> 32) * range;
        var low = (uint)product;
        if (low < range)
        {
            // 2^32 mod range: the count of low words that would make some results more likely than others.
            var threshold = unchecked(0u - range) % range;
            while (low < threshold)
            {
                product = (ulong)(uint)(NextUInt64() >> 32) * range;
                low = (uint)product;
            }
        }

        return (int)(product >> 32);
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>A seed for another source, drawn from this one.</summary>
    public int NextSeed() => (int)(NextUInt64() >> 33);

    /// <summary>A standard normal sample (Box–Muller).</summary>
    public double NextNormal()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>
    /// Shuffles <paramref name="values"/> in place: the Fisher–Yates (Durstenfeld) shuffle, for i from the last index
    /// down to 1 swapping element i with element j, j uniform in [0, i].
    /// </summary>
    public void Shuffle(Span<int> values)
    {
        for (var i = values.Length - 1; i > 0; i--)
        {
            var j = NextInt32(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
