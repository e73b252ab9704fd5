using System;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Engram.Core
{
    /// <summary>How long a namespace keeps provenance: forever, a maximum age, and/or a maximum number of entries per memory.</summary>
    public sealed class RetentionPolicy
    {
        public static readonly RetentionPolicy Forever = new RetentionPolicy(null, null);

        /// <summary>The keys of a retention policy in engram.yaml.</summary>
        private static readonly string[] Keys = { "maxAge", "maxEntries" };

        private static readonly Regex DurationPattern = new Regex(@"^(\d+)(m|h|d|w)$", RegexOptions.CultureInvariant);

        public RetentionPolicy(TimeSpan? maxAge, int? maxEntries)
        {
            if (maxAge.HasValue && maxAge.Value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(maxAge));
            if (maxEntries.HasValue && maxEntries.Value < 1) throw new ArgumentOutOfRangeException(nameof(maxEntries));
            MaxAge = maxAge;
            MaxEntries = maxEntries;
        }

        public TimeSpan? MaxAge { get; }
        public int? MaxEntries { get; }
        public bool IsForever => MaxAge == null && MaxEntries == null;

        public string ToYaml()
        {
            if (IsForever) return "forever";
            var parts = new System.Collections.Generic.List<string>();
            if (MaxAge != null) parts.Add("maxAge: " + FormatDuration(MaxAge.Value));
            if (MaxEntries != null) parts.Add("maxEntries: " + MaxEntries.Value.ToString(CultureInfo.InvariantCulture));
            return "{" + string.Join(", ", parts) + "}";
        }

        public override string ToString() => ToYaml();

        public static string FormatDuration(TimeSpan t)
        {
            if (t.TotalDays >= 1 && t.TotalDays == Math.Floor(t.TotalDays)) return ((int)t.TotalDays).ToString(CultureInfo.InvariantCulture) + "d";
            if (t.TotalHours == Math.Floor(t.TotalHours)) return ((int)t.TotalHours).ToString(CultureInfo.InvariantCulture) + "h";
            return ((int)Math.Ceiling(t.TotalMinutes)).ToString(CultureInfo.InvariantCulture) + "m";
        }

        /// <summary>Parses <c>30m</c>, <c>12h</c>, <c>90d</c>, <c>2w</c>.</summary>
        public static TimeSpan ParseDuration(string text)
        {
            var m = DurationPattern.Match(text.Trim());
            if (!m.Success) throw new FormatException($"'{text}' is not a duration like 30m, 12h, 90d or 2w.");
            var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            switch (m.Groups[2].Value)
            {
                case "m": return TimeSpan.FromMinutes(n);
                case "h": return TimeSpan.FromHours(n);
                case "d": return TimeSpan.FromDays(n);
                default: return TimeSpan.FromDays(7 * n);
            }
        }

        internal static RetentionPolicy Parse(YamlNode node, string path, string where)
        {
            try
            {
                if (node is YamlScalarNode s && s.Value == "forever") return Forever;
                if (node is YamlMappingNode map)
                {
                    TimeSpan? age = null;
                    int? entries = null;
                    foreach (var kv in map.Children)
                    {
                        var k = (kv.Key as YamlScalarNode)?.Value;
                        var v = (kv.Value as YamlScalarNode)?.Value ?? throw new FormatException($"'{k}' must be a scalar");
                        if (k == "maxAge") age = ParseDuration(v);
                        else if (k == "maxEntries") entries = int.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture);
                        else throw StoreConfig.UnknownKey(path, where, k ?? kv.Key.ToString(), Keys);
                    }
                    return new RetentionPolicy(age, entries);
                }
                throw new FormatException("use 'forever' or {maxAge: 90d, maxEntries: 1000}");
            }
            catch (Exception ex) when (ex is FormatException || ex is OverflowException || ex is ArgumentOutOfRangeException)
            {
                throw StoreConfig.Malformed(path, $"'{where}': {ex.Message}", ex);
            }
        }
    }
}
