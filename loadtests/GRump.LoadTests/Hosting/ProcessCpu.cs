using System.Globalization;

namespace GRump.LoadTests.Hosting;

/// <summary>CPU time of a process from <c>/proc/&lt;pid&gt;/stat</c> (utime + stime).</summary>
internal static class ProcessCpu
{
    /// <summary>USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>Null when /proc is unavailable (not Linux) or the process is gone.</summary>
    public static TimeSpan? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
