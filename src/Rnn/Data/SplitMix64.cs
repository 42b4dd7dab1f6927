using System.Diagnostics;

namespace Rnn.Data;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014; reference code
/// https://prng.di.unimi.it/splitmix64.c): a tiny generator whose output for a given seed is fixed by its definition.
/// The data helpers use it rather than <see cref="Random"/>, whose seeded sequence .NET does not promise to keep
/// across versions, so that a seeded shuffle gives the same order on every runtime and machine.
/// </summary>
internal struct SplitMix64
{
    private ulong _state;

    /// <summary>Starts the sequence at <paramref name="seed"/> (negative seeds are sign-extended).</summary>
    public SplitMix64(long seed)
    {
        _state = unchecked((ulong)seed);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        unchecked
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
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
}
