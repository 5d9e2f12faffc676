using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>
/// Embedding values as JSON text, both ways, at several times the speed of the runtime's general-purpose code, and with
/// exactly its results: a 4,096-dimension vector is 4,096 numbers to read from the upstream's answer and 4,096 to write
/// into the caller's, and at that size this text was most of the gateway's CPU per call (docs/performance.md).
/// </summary>
/// <remarks>
/// <para><b>Writing</b> gives the same bytes as <see cref="Utf8Formatter"/> (what <c>Utf8JsonWriter.WriteNumberValue</c>
/// writes): the shortest digits that read back as the same <see cref="float"/>, the nearest such when there are several,
/// in the same fixed or E notation. It finds them as Ryu does (Adams, 2018): scale the value and the two ends of the
/// interval that reads back as it by a power of ten, then drop digits while both ends still differ. Where Ryu needs
/// tables of rounded powers of five, this stays exact in 64-bit integers: it takes only values between 2^-24 and 2^24
/// (about 6e-8 to 1.7e7, where embeddings live), whose power of five is at most 5^16. Other values, zero included, go to
/// the runtime's formatter.</para>
/// <para><b>Reading</b> gives the same <see cref="float"/> as the runtime's parser: up to 19 significant digits and a
/// power of ten within 10^±22 make one exact double division or multiplication, correctly rounded (Clinger, 1990); its
/// rounding to float is then exact unless the double lies exactly halfway between two floats, where double rounding
/// could go the wrong way. That case, and everything else, goes to the runtime's parser.</para>
/// <para><c>FloatTextTests</c> compares both with the runtime's on millions of values; the writer was also run once against
/// the runtime's over every finite float (4,278,190,080): no difference.</para>
/// </remarks>
internal static class FloatText
{
    /// <summary>Longest text <see cref="TryFormat"/> writes: a sign, 9 digits, a point and E notation's "E-45".</summary>
    public const int MaxLength = 16;

    private static readonly ulong[] PowersOfFive = PowersOf(5, 17);
    private static readonly ulong[] PowersOfTen64 = PowersOf(10, 11);
    private static readonly byte[] DigitPairs = [.. Enumerable.Range(0, 100).SelectMany(static p => new[] { (byte)('0' + p / 10), (byte)('0' + p % 10) })];
    private static readonly double[] PowersOfTen = [.. Enumerable.Range(0, 23).Select(static e => double.Parse("1e" + e, CultureInfo.InvariantCulture))];

    /// <summary>Writes <paramref name="value"/> as <see cref="Utf8Formatter"/> would; false only when it does not fit.</summary>
    public static bool TryFormat(float value, Span<byte> destination, out int written)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        var biased = (int)((bits >> 23) & 0xFF);
        var fraction = bits & 0x7F_FFFF;
        // value = mv × 2^e2, with mv four times the significand so the interval's ends (half an ulp away) are integers too.
        var e2 = biased - 152;
        var shift = ((-e2) * 732_923 >> 20) - 1; // ⌊-e2 · log10 5⌋ - 1
        var power = -e2 - shift;                 // then value × 10^power = mv × 5^power >> shift
        if (biased == 0 || e2 > -2 || power > 16 || destination.Length < MaxLength)
        {
            return Utf8Formatter.TryFormat(value, destination, out written);
        }

        ulong significand = fraction | 0x80_0000;
        var acceptBounds = (significand & 1) == 0; // ties round to even: an even significand owns its interval's ends
        var mv = 4 * significand;
        var mp = mv + 2;
        var mm = mv - (fraction != 0 || biased <= 1 ? 2UL : 1UL); // below a power of two the gap below is half as wide

        var five = PowersOfFive[power];
        var mask = (1UL << shift) - 1;
        var vr = Scale(mv, five, shift, mask, out var vrExact);
        var vp = Scale(mp, five, shift, mask, out var vpExact);
        var vm = Scale(mm, five, shift, mask, out var vmExact);
        if (vpExact && !acceptBounds)
        {
            vp--; // the upper end is not the value's: the largest candidate is just below it
        }

        var negative = (bits >> 31) != 0;
        if (!(vmExact && acceptBounds))
        {
            // The common case: the lower end is not a candidate itself. Drop digits from both ends while they still
            // differ, then round the value's own digits once by what was dropped (ties to even when it was exact).
            var removed = 0;
            ulong vpShorter, vmShorter;
            while ((vpShorter = vp / 10) > (vmShorter = vm / 10))
            {
                vp = vpShorter;
                vm = vmShorter;
                removed++;
            }

            var scale = PowersOfTen64[removed];
            var kept = vr / scale;
            var dropped = vr - kept * scale;
            var half = scale / 2;
            var up = kept == vm || (removed > 0 && (dropped > half || (dropped == half && !(vrExact && kept % 2 == 0))));
            written = Write(kept + (up ? 1UL : 0UL), removed - power, negative, destination);
            return true;
        }

        written = Write(ShortestWithExactLowerEnd(vr, vp, vm, vrExact, out var removedDigits), removedDigits - power, negative, destination);
        return true;
    }

    /// <summary>Ryu's general digit loop, for the rare value whose interval's lower end is exact and its own.</summary>
    private static ulong ShortestWithExactLowerEnd(ulong vr, ulong vp, ulong vm, bool vrExact, out int removed)
    {
        var vmTrailingZeros = true;
        var vrTrailingZeros = vrExact;
        removed = 0;
        var lastRemoved = 0UL;
        // Drop digits while both ends differ; then, the lower end being exact and allowed, while it ends in zeros (once
        // the ends agree they agree on every shorter form, so the first test stays false).
        while (vp / 10 > vm / 10 || (vmTrailingZeros && vm % 10 == 0))
        {
            vmTrailingZeros &= vm % 10 == 0;
            vrTrailingZeros &= lastRemoved == 0;
            lastRemoved = vr % 10;
            vr /= 10;
            vp /= 10;
            vm /= 10;
            removed++;
        }

        if (vrTrailingZeros && lastRemoved == 5 && vr % 2 == 0)
        {
            lastRemoved = 4; // exactly halfway: round to even
        }

        return vr + ((vr == vm && !vmTrailingZeros) || lastRemoved >= 5 ? 1UL : 0UL);
    }

    /// <summary>
    /// Reads one JSON number (RFC 8259's grammar, nothing looser) as the runtime's <see cref="float"/> parser would; false
    /// when it is not one, or not finite as a float.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out float value) => Parse(text, out value) == text.Length;

    /// <summary>
    /// Reads a JSON array of numbers whose <c>[</c> is at <paramref name="start"/> into <paramref name="values"/> (rented
    /// from the shared pool, and replaced by a larger one when it fills up). Returns the index of its <c>]</c> and the
    /// count, or -1 when it is not an array of finite numbers only.
    /// </summary>
    public static int TryReadArray(ReadOnlySpan<byte> json, int start, ref float[] values, out int count)
    {
        count = 0;
        var i = SkipWhitespace(json, start + 1);
        if (i < json.Length && json[i] == (byte)']')
        {
            return i;
        }

        while (true)
        {
            if (count == values.Length)
            {
                var larger = System.Buffers.ArrayPool<float>.Shared.Rent(values.Length * 2);
                values.AsSpan().CopyTo(larger);
                System.Buffers.ArrayPool<float>.Shared.Return(values);
                values = larger;
            }

            var consumed = Parse(json[i..], out values[count]);
            if (consumed < 0)
            {
                return -1;
            }

            count++;
            i = SkipWhitespace(json, i + consumed);
            if (i >= json.Length)
            {
                return -1;
            }

            if (json[i] == (byte)']')
            {
                return i;
            }

            if (json[i] != (byte)',')
            {
                return -1;
            }

            i = SkipWhitespace(json, i + 1);
        }
    }

    /// <summary>
    /// Reads the JSON number at the start of <paramref name="text"/>; returns how many bytes it took, or -1 when no
    /// valid number starts there (or it is not finite as a float). A number is valid only if what follows it is not one
    /// of its own bytes ("01", "1.", "1e" are not numbers).
    /// </summary>
    private static int Parse(ReadOnlySpan<byte> text, out float value)
    {
        value = 0;
        var i = 0;
        var negative = text.Length > 0 && text[0] == (byte)'-';
        if (negative)
        {
            i++;
        }

        ulong mantissa = 0;
        var digits = 0;    // significant digits taken into the mantissa
        var exponent = 0;  // power of ten of the mantissa's last digit
        if (i >= text.Length || !IsDigit(text[i]))
        {
            return -1;
        }

        if (text[i] == (byte)'0')
        {
            i++; // no leading zeros: in "01" the 1 follows the number and fails below
        }
        else
        {
            for (; i < text.Length && IsDigit(text[i]); i++)
            {
                Take(text[i], ref mantissa, ref digits, ref exponent, fractional: false);
            }
        }

        if (i < text.Length && text[i] == (byte)'.')
        {
            var start = ++i;
            for (; i < text.Length && IsDigit(text[i]); i++)
            {
                Take(text[i], ref mantissa, ref digits, ref exponent, fractional: true);
            }

            if (i == start)
            {
                return -1;
            }
        }

        if (i < text.Length && (text[i] | 0x20) == (byte)'e')
        {
            i++;
            var exponentNegative = i < text.Length && text[i] == (byte)'-';
            if (i < text.Length && text[i] is (byte)'-' or (byte)'+')
            {
                i++;
            }

            var written = 0;
            var start = i;
            for (; i < text.Length && IsDigit(text[i]); i++)
            {
                // Capped (an exponent of 10^9 is past any float); a capped exponent is not exact, so the slow path decides.
                written = Math.Min(written * 10 + (text[i] - '0'), 1_000_000_000);
            }

            if (i == start)
            {
                return -1;
            }

            if (written == 1_000_000_000)
            {
                digits = int.MaxValue;
            }

            exponent += exponentNegative ? -written : written;
        }

        if (i < text.Length && IsNumberByte(text[i]))
        {
            return -1;
        }

        if (digits <= 19 && mantissa <= 1UL << 53 && exponent is >= -22 and <= 22)
        {
            double exact = mantissa;
            exact = exponent < 0 ? exact / PowersOfTen[-exponent] : exact * PowersOfTen[exponent];
            // Rounding the double to float is exact unless the double is exactly halfway between two floats (the 29
            // bits float drops are 1000…0): then it could be the rounding of a value just off the midpoint.
            var doubleBits = BitConverter.DoubleToUInt64Bits(exact);
            if ((doubleBits & 0x1FFF_FFFF) != 0x1000_0000 && (exact == 0 || exact >= 1.1754943508222875E-38) && exact <= float.MaxValue)
            {
                value = negative ? -(float)exact : (float)exact;
                return i;
            }
        }

        return Utf8Parser.TryParse(text[..i], out value, out var consumed) && consumed == i && float.IsFinite(value) ? i : -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsNumberByte(byte b) => IsDigit(b) || b is (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E';

    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(byte digit, ref ulong mantissa, ref int digits, ref int exponent, bool fractional)
    {
        if (digits < 19)
        {
            mantissa = mantissa * 10 + (uint)(digit - '0');
            if (mantissa != 0)
            {
                digits++; // leading zeros are not significant
            }

            if (fractional)
            {
                exponent--;
            }
        }
        else
        {
            digits = 20; // more than fits: the slow path decides
            if (!fractional)
            {
                exponent++;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Scale(ulong m, ulong five, int shift, ulong mask, out bool exact)
    {
        var product = m * five;
        exact = (product & mask) == 0;
        return product >> shift;
    }

    /// <summary>Digits × 10^exponent in the runtime's layout: fixed from 1e-4 up, E notation below (<c>9.9E-05</c>).</summary>
    private static int Write(ulong digits, int exponent, bool negative, Span<byte> destination)
    {
        while (digits % 10 == 0)
        {
            digits /= 10; // rounding up can end in zeros (…99 + 1); the runtime writes none
            exponent++;
        }

        var count = CountDigits(digits);
        var point = count + exponent; // digits before the decimal point
        var n = 0;
        if (negative)
        {
            destination[n++] = (byte)'-';
        }

        if (point <= 0 && point >= -3)
        {
            // 0.000ddd — every embedding value under one
            destination[n++] = (byte)'0';
            destination[n++] = (byte)'.';
            for (var z = point; z < 0; z++)
            {
                destination[n++] = (byte)'0';
            }

            WriteDigits(destination.Slice(n, count), digits);
            return n + count;
        }

        if (point > 0 && point < count)
        {
            // ddd.ddd
            var fractionDigits = count - point;
            var scale = PowersOfTen64[fractionDigits];
            WriteDigits(destination.Slice(n, point), digits / scale);
            destination[n + point] = (byte)'.';
            WriteDigits(destination.Slice(n + point + 1, fractionDigits), digits % scale);
            return n + count + 1;
        }

        if (point >= count)
        {
            // ddd000
            WriteDigits(destination.Slice(n, count), digits);
            n += count;
            for (var z = count; z < point; z++)
            {
                destination[n++] = (byte)'0';
            }

            return n;
        }

        // d.dddE-0d
        var leading = PowersOfTen64[count - 1];
        destination[n++] = (byte)('0' + (int)(digits / leading));
        if (count > 1)
        {
            destination[n++] = (byte)'.';
            WriteDigits(destination.Slice(n, count - 1), digits % leading);
            n += count - 1;
        }

        var power = 1 - point;
        destination[n++] = (byte)'E';
        destination[n++] = (byte)'-';
        destination[n++] = (byte)('0' + power / 10);
        destination[n++] = (byte)('0' + power % 10);
        return n;
    }

    /// <summary>Fills <paramref name="destination"/> with the last digits of <paramref name="value"/>, zero-padded on the left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteDigits(Span<byte> destination, ulong value)
    {
        var i = destination.Length;
        var v = (uint)value; // at most nine digits
        for (; i >= 2; i -= 2)
        {
            var pair = v % 100 * 2;
            v /= 100;
            destination[i - 1] = DigitPairs[(int)pair + 1];
            destination[i - 2] = DigitPairs[(int)pair];
        }

        if (i == 1)
        {
            destination[0] = (byte)('0' + v % 10);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountDigits(ulong value)
    {
        // ⌊log10⌋ from ⌊log2⌋ (1233/4096 ≈ log10 2), corrected by one comparison.
        var guess = (System.Numerics.BitOperations.Log2(value) + 1) * 1233 >> 12;
        return guess + (value >= PowersOfTen64[guess] ? 1 : 0);
    }

    private static ulong[] PowersOf(ulong b, int count)
    {
        var powers = new ulong[count];
        powers[0] = 1;
        for (var i = 1; i < count; i++)
        {
            powers[i] = powers[i - 1] * b;
        }

        return powers;
    }
}
