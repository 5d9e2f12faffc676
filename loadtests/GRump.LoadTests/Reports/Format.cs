using System.Globalization;

namespace GRump.LoadTests.Reports;

internal static class Format
{
    public static string Ms(double ms) => ms.ToString(Math.Abs(ms) < 10 ? "0.000" : Math.Abs(ms) < 1000 ? "0.0" : "0", CultureInfo.InvariantCulture);

    public static string SignedMs(double ms) => (ms >= 0 ? "+" : "") + Ms(ms);

    public static string Number(double value, string format = "0") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Percent(double ratio) => (100 * ratio).ToString("0.#", CultureInfo.InvariantCulture) + " %";

    public static string Micros(double? micros) => micros is { } v ? v.ToString(v < 100 ? "0.0" : "0", CultureInfo.InvariantCulture) : "–";

    public static string Bytes(long bytes, long calls) => calls == 0 ? "–" : (bytes / (double)calls).ToString("0", CultureInfo.InvariantCulture);
}
