using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Engram.Core.Values
{
    /// <summary>
    /// Writes and reads memory values as YAML with their .NET types intact, and computes their canonical content hash.
    /// </summary>
    /// <remarks>
    /// Supported values: null, string, bool, int, long, double, and (tagged) float, decimal, byte, sbyte, short, ushort,
    /// uint, ulong, char, DateTime, DateTimeOffset, TimeSpan, Guid, byte[] (<c>!!binary</c>); sequences (any
    /// <see cref="IList"/> or enumerable) come back as <c>object?[]</c>; maps as <see cref="EngramMap"/>.
    /// Enums are stored by name (as strings). Untagged plain scalars resolve with the YAML 1.2 core schema
    /// (null, bool, int, float), everything else is a string; a string that would resolve as something else is quoted.
    /// </remarks>
    public static class ValueCodec
    {
        public const int MaxDepth = 64;

        private static readonly Regex IntPattern = new Regex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant);
        private static readonly Regex FloatPattern = new Regex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant);
        private static readonly Regex SpecialFloatPattern = new Regex(@"^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$", RegexOptions.CultureInvariant);

        private const string BinaryTag = "tag:yaml.org,2002:binary";
        private const string StrTag = "tag:yaml.org,2002:str";

        // ---------------------------------------------------------------- writing

        /// <summary>Emits <paramref name="value"/> as one YAML node.</summary>
        public static void Write(IEmitter emitter, object? value) => Write(emitter, value, 0);

        private static void Write(IEmitter e, object? value, int depth)
        {
            if (depth > MaxDepth)
                throw new EngramException(EngramErrorIds.ValueTooDeep, EngramErrorKind.InvalidArgument,
                    $"The value is nested more than {MaxDepth} levels deep (or refers to itself).");
            switch (value)
            {
                case null: Plain(e, "null"); return;
                case string s: WriteString(e, s); return;
                case bool b: Plain(e, b ? "true" : "false"); return;
                case int i: Plain(e, i.ToString(CultureInfo.InvariantCulture)); return;
                case long l:
                    if (l >= int.MinValue && l <= int.MaxValue) Tagged(e, "!long", l.ToString(CultureInfo.InvariantCulture));
                    else Plain(e, l.ToString(CultureInfo.InvariantCulture));
                    return;
                case double d: Plain(e, FormatDouble(d)); return;
                case float f: Tagged(e, "!single", FormatDouble(f)); return;
                case decimal m: Tagged(e, "!decimal", m.ToString(CultureInfo.InvariantCulture)); return;
                case byte v: Tagged(e, "!byte", v.ToString(CultureInfo.InvariantCulture)); return;
                case sbyte v: Tagged(e, "!sbyte", v.ToString(CultureInfo.InvariantCulture)); return;
                case short v: Tagged(e, "!short", v.ToString(CultureInfo.InvariantCulture)); return;
                case ushort v: Tagged(e, "!ushort", v.ToString(CultureInfo.InvariantCulture)); return;
                case uint v: Tagged(e, "!uint", v.ToString(CultureInfo.InvariantCulture)); return;
                case ulong v: Tagged(e, "!ulong", v.ToString(CultureInfo.InvariantCulture)); return;
                case char c: CheckText(c.ToString()); Tagged(e, "!char", c.ToString(), ScalarStyle.DoubleQuoted); return;
                case DateTime dt: Tagged(e, "!datetime", dt.ToString("o", CultureInfo.InvariantCulture)); return;
                case DateTimeOffset dto: Tagged(e, "!datetimeoffset", dto.ToString("o", CultureInfo.InvariantCulture)); return;
                case TimeSpan ts: Tagged(e, "!timespan", ts.ToString("c", CultureInfo.InvariantCulture)); return;
                case Guid g: Tagged(e, "!guid", g.ToString("D")); return;
                case byte[] bytes: Tagged(e, "!!binary", Convert.ToBase64String(bytes)); return;
                case Enum en: WriteString(e, en.ToString()); return;
                case EngramMap map:
                    {
                        var tag = map.Kind == MapKind.Hashtable ? "!hashtable" : map.Kind == MapKind.Ordered ? "!ordered" : null;
                        e.Emit(new MappingStart(AnchorName.Empty, tag == null ? TagName.Empty : new TagName(tag), tag == null,
                            map.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                        foreach (var kv in map)
                        {
                            WriteString(e, kv.Key);
                            Write(e, kv.Value, depth + 1);
                        }
                        e.Emit(new MappingEnd());
                        return;
                    }
                case IEnumerable seq:
                    {
                        var items = new List<object?>();
                        foreach (var item in seq) items.Add(item);
                        e.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true,
                            items.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                        foreach (var item in items) Write(e, item, depth + 1);
                        e.Emit(new SequenceEnd());
                        return;
                    }
                default:
                    throw new EngramException(EngramErrorIds.UnsupportedValueType, EngramErrorKind.InvalidArgument,
                        $"A value of type [{value.GetType().FullName}] cannot be stored. Store strings, numbers, booleans, dates, arrays, hashtables or objects ([pscustomobject]) of these.",
                        value.GetType().FullName);
            }
        }

        private static void Plain(IEmitter e, string text) =>
            e.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Plain, true, false));

        private static void Tagged(IEmitter e, string tag, string text, ScalarStyle style = ScalarStyle.Plain) =>
            e.Emit(new Scalar(AnchorName.Empty, new TagName(tag), text, style, false, false));

        /// <summary>Emits a string so that it reads back as exactly that string.</summary>
        public static void WriteString(IEmitter e, string s)
        {
            CheckText(s);
            ScalarStyle style;
            if (s.Length == 0 || ResolvesAsNonString(s) || NeedsDoubleQuotes(s)) style = ScalarStyle.DoubleQuoted;
            else if (s.IndexOf('\n') >= 0)
                style = HasTrailingSpaceOnLine(s) || s.Trim('\n').Length == 0 ? ScalarStyle.DoubleQuoted : ScalarStyle.Literal;
            // The emitter writes a leading/trailing tab plain, and plain scalars lose surrounding white space.
            else style = char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[s.Length - 1]) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any;
            e.Emit(new Scalar(AnchorName.Empty, TagName.Empty, s, style, style == ScalarStyle.Any, true));
        }

        /// <summary>
        /// Refuses text with an unpaired UTF-16 surrogate: it has no UTF-8 form (the emitter throws a YamlDotNet error
        /// mid-write, and the content hash would silently see U+FFFD instead).
        /// </summary>
        internal static void CheckText(string s)
        {
            for (int i = 0; i < s.Length; i++)
            {
                if (!char.IsSurrogate(s[i])) continue;
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
                throw new EngramException(EngramErrorIds.UnsupportedValueType, EngramErrorKind.InvalidArgument,
                    $"The text contains an unpaired UTF-16 surrogate (U+{(int)s[i]:X4}) at position {i}, which cannot be stored as UTF-8.", s);
            }
        }

        /// <summary>
        /// Strings the emitter would write in a form that does not read back: CR, NEL, LS and PS are line breaks to it
        /// (outside double quotes they come back as '\n' or not at all), and YamlDotNet's parser misreads a plain
        /// mapping key with a blank before a '*' ("a *b: 1" parses as one scalar).
        /// </summary>
        private static bool NeedsDoubleQuotes(string s) =>
            s.IndexOf('\r') >= 0 || s.IndexOf('\u0085') >= 0 || s.IndexOf('\u2028') >= 0 || s.IndexOf('\u2029') >= 0
            || s.IndexOf(" *", StringComparison.Ordinal) >= 0 || s.IndexOf("\t*", StringComparison.Ordinal) >= 0;

        private static bool HasTrailingSpaceOnLine(string s)
        {
            foreach (var line in s.Split('\n'))
                if (line.Length > 0 && char.IsWhiteSpace(line[line.Length - 1])) return true;
            return false;
        }

        internal static bool ResolvesAsNonString(string s) =>
            IsNull(s) || s == "true" || s == "false" || s == "True" || s == "False" || s == "TRUE" || s == "FALSE"
            || IntPattern.IsMatch(s) || FloatPattern.IsMatch(s) || SpecialFloatPattern.IsMatch(s);

        private static bool IsNull(string s) => s == "null" || s == "Null" || s == "NULL" || s == "~" || s.Length == 0;

        internal static string FormatDouble(double d)
        {
            if (double.IsPositiveInfinity(d)) return ".inf";
            if (double.IsNegativeInfinity(d)) return "-.inf";
            if (double.IsNaN(d)) return ".nan";
            var s = d.ToString("R", CultureInfo.InvariantCulture);
            return s.IndexOf('.') >= 0 || s.IndexOf('E') >= 0 || s.IndexOf('e') >= 0 ? s : s + ".0";
        }

        // ---------------------------------------------------------------- reading

        /// <summary>Reads one YAML node (scalar, sequence or mapping) from <paramref name="parser"/>.</summary>
        public static object? Read(IParser parser) => Read(parser, 0);

        private static object? Read(IParser p, int depth)
        {
            if (depth > MaxDepth)
                throw new YamlException(p.Current?.Start ?? Mark.Empty, p.Current?.End ?? Mark.Empty, $"Value nested more than {MaxDepth} levels deep.");
            if (p.TryConsume<Scalar>(out var scalar)) return ReadScalar(scalar);
            if (p.TryConsume<SequenceStart>(out var seqStart))
            {
                if (!seqStart.Tag.IsEmpty && !seqStart.Tag.IsNonSpecific && seqStart.Tag.Value != "tag:yaml.org,2002:seq")
                    throw new YamlException(seqStart.Start, seqStart.End, $"Unknown sequence tag '{seqStart.Tag.Value}'.");
                var list = new List<object?>();
                while (!p.TryConsume<SequenceEnd>(out _)) list.Add(Read(p, depth + 1));
                return list.ToArray();
            }
            if (p.TryConsume<MappingStart>(out var mapStart))
            {
                MapKind kind;
                var tag = mapStart.Tag;
                if (tag.IsEmpty || tag.IsNonSpecific || tag.Value == "tag:yaml.org,2002:map") kind = MapKind.Object;
                else if (tag.Value == "!hashtable") kind = MapKind.Hashtable;
                else if (tag.Value == "!ordered") kind = MapKind.Ordered;
                else throw new YamlException(mapStart.Start, mapStart.End, $"Unknown mapping tag '{tag.Value}'.");
                var map = new EngramMap(kind);
                while (!p.TryConsume<MappingEnd>(out _))
                {
                    var keyEvent = p.Consume<Scalar>();
                    if (map.ContainsKey(keyEvent.Value))
                        throw new YamlException(keyEvent.Start, keyEvent.End, $"Duplicate key '{keyEvent.Value}'.");
                    map.Add(keyEvent.Value, Read(p, depth + 1));
                }
                return map;
            }
            if (p.Accept<AnchorAlias>(out var alias))
                throw new YamlException(alias.Start, alias.End, "YAML aliases are not supported in Engram values.");
            var cur = p.Current;
            throw new YamlException(cur?.Start ?? Mark.Empty, cur?.End ?? Mark.Empty, $"Unexpected YAML event {cur?.GetType().Name}.");
        }

        /// <summary>An untagged plain scalar's value (core schema), as the parser's reading of <paramref name="text"/> gives it.</summary>
        internal static object? ReadPlain(string text) => ReadScalar(new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Plain, true, false));

        private static object? ReadScalar(Scalar s)
        {
            var v = s.Value;
            var tag = s.Tag;
            if (tag.IsEmpty || tag.IsNonSpecific)
            {
                if (s.Style != ScalarStyle.Plain || tag.IsNonSpecific) return v;
                if (IsNull(v)) return null;
                if (v == "true" || v == "True" || v == "TRUE") return true;
                if (v == "false" || v == "False" || v == "FALSE") return false;
                if (IntPattern.IsMatch(v))
                {
                    if (int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) return i;
                    if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
                    if (decimal.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var m)) return m;
                    return double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture);
                }
                if (FloatPattern.IsMatch(v)) return double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture);
                if (SpecialFloatPattern.IsMatch(v)) return ParseSpecialDouble(v);
                return v;
            }

            try
            {
                switch (tag.Value)
                {
                    case StrTag: return v;
                    case "!long": return long.Parse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                    case "!single": return SpecialFloatPattern.IsMatch(v) ? (float)ParseSpecialDouble(v) : float.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture);
                    case "!decimal": return decimal.Parse(v, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
                    case "!byte": return byte.Parse(v, CultureInfo.InvariantCulture);
                    case "!sbyte": return sbyte.Parse(v, CultureInfo.InvariantCulture);
                    case "!short": return short.Parse(v, CultureInfo.InvariantCulture);
                    case "!ushort": return ushort.Parse(v, CultureInfo.InvariantCulture);
                    case "!uint": return uint.Parse(v, CultureInfo.InvariantCulture);
                    case "!ulong": return ulong.Parse(v, CultureInfo.InvariantCulture);
                    case "!char":
                        if (v.Length != 1) throw new FormatException("A !char must be exactly one character.");
                        return v[0];
                    case "!datetime": return DateTime.Parse(v, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                    case "!datetimeoffset": return DateTimeOffset.Parse(v, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                    case "!timespan": return TimeSpan.ParseExact(v, "c", CultureInfo.InvariantCulture);
                    case "!guid": return Guid.Parse(v);
                    case BinaryTag: return Convert.FromBase64String(v.Replace("\n", "").Replace(" ", ""));
                    case "tag:yaml.org,2002:int": return ReadScalar(new Scalar(v));
                    case "tag:yaml.org,2002:float": return double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture);
                    case "tag:yaml.org,2002:bool": return bool.Parse(v);
                    case "tag:yaml.org,2002:null": return null;
                }
            }
            catch (Exception ex) when (ex is FormatException || ex is OverflowException)
            {
                throw new YamlException(s.Start, s.End, $"'{v}' is not a valid {tag.Value} value.", ex);
            }
            throw new YamlException(s.Start, s.End, $"Unknown scalar tag '{tag.Value}'.");
        }

        private static double ParseSpecialDouble(string v) =>
            v.IndexOf('a') >= 0 || v.IndexOf('A') >= 0 ? double.NaN : v[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity; // ".nan" vs ".inf" (which has an 'n' too)

        // ---------------------------------------------------------------- text helpers

        /// <summary>The value as a standalone YAML document (used by tests, diagnostics and exports).</summary>
        public static string ToYaml(object? value)
        {
            var sw = new StringWriter(CultureInfo.InvariantCulture);
            var e = new Emitter(sw);
            e.Emit(new StreamStart());
            e.Emit(new DocumentStart());
            Write(e, value);
            e.Emit(new DocumentEnd(true));
            e.Emit(new StreamEnd());
            return sw.ToString();
        }

        /// <summary>Parses a standalone YAML document produced by <see cref="ToYaml"/> (or written by hand).</summary>
        public static object? FromYaml(string yaml)
        {
            var p = new Parser(new StringReader(yaml));
            p.Consume<StreamStart>();
            if (p.TryConsume<StreamEnd>(out _)) return null;
            p.Consume<DocumentStart>();
            var v = Read(p);
            p.Consume<DocumentEnd>();
            return v;
        }

        // ---------------------------------------------------------------- size

        /// <summary>
        /// The value's size as <c>maxValueBytes</c> measures it: the UTF-8 bytes of every string and map key, binary data
        /// as its base64 text, 8 bytes for any other scalar, and 2 bytes per nesting level for each map entry and list
        /// item (the indentation of its YAML form). Refuses a value larger than <paramref name="limit"/> with
        /// ValueTooLarge. Cheap for small values: an upper bound (3 bytes per UTF-16 character) decides most values
        /// without counting; the exact count is made only when the bound exceeds the limit.
        /// </summary>
        public static void CheckSize(object? value, long limit, string? what = null, object? target = null)
        {
            if (Measure(value, 0, exact: false, limit) <= limit) return;
            long size = Measure(value, 0, exact: true, limit);
            if (size <= limit) return;
            throw new EngramException(EngramErrorIds.ValueTooLarge, EngramErrorKind.InvalidArgument,
                $"The value{(what == null ? "" : " of " + what)} is {size:N0} bytes, more than the store's limit of {limit:N0} bytes (maxValueBytes). " +
                "Keep large data in a file and store its path, or raise the limit: 'maxValueBytes: <bytes>' in engram.yaml, or Initialize-EngramStore -Force -MaxValueBytes <bytes> (any backend). Nothing was written.",
                target ?? what);
        }

        /// <summary>An upper bound of the size <see cref="CheckSize"/> measures, counted no further than a little past
        /// <paramref name="stopAbove"/> (a value nested too deep counts as that much): what a batch of writes adds up.</summary>
        public static long SizeBound(object? value, long stopAbove)
        {
            try { return Measure(value, 0, exact: false, stopAbove); }
            catch (EngramException) { return stopAbove; }
        }

        /// <summary>The size <see cref="CheckSize"/> measures (exact), or, when <paramref name="exact"/> is false, an
        /// upper bound of it; stops counting once past <paramref name="stopAbove"/>.</summary>
        internal static long Measure(object? value, int depth, bool exact, long stopAbove)
        {
            if (depth > MaxDepth)
                throw new EngramException(EngramErrorIds.ValueTooDeep, EngramErrorKind.InvalidArgument,
                    $"The value is nested more than {MaxDepth} levels deep (or refers to itself).");
            switch (value)
            {
                case string s: return TextBytes(s, exact);
                case byte[] bytes: return (bytes.LongLength + 2) / 3 * 4;
                case EngramMap map:
                    {
                        long total = 0;
                        foreach (var kv in map)
                        {
                            total += 2L * (depth + 1) + TextBytes(kv.Key, exact) + Measure(kv.Value, depth + 1, exact, stopAbove);
                            if (total > stopAbove) return total;
                        }
                        return total;
                    }
                case IEnumerable seq:
                    {
                        long total = 0;
                        foreach (var item in seq)
                        {
                            total += 2L * (depth + 1) + Measure(item, depth + 1, exact, stopAbove);
                            if (total > stopAbove) return total;
                        }
                        return total;
                    }
                default: return 8;
            }
        }

        private static long TextBytes(string s, bool exact) => exact ? Encoding.UTF8.GetByteCount(s) : 3L * s.Length;

        // ---------------------------------------------------------------- canonical hash

        /// <summary>
        /// SHA-256 of the value's canonical form, as <c>sha256:&lt;hex&gt;</c>. Equal values (same types, same
        /// content; map entry order ignored) have equal hashes.
        /// </summary>
        public static string ContentHash(object? value)
        {
            if (value is string text) return StringContentHash(text);
            var sb = new StringBuilder();
            Canonical(sb, value, 0);
            return "sha256:" + Names.Hex(Names.Sha256(Encoding.UTF8.GetBytes(sb.ToString())));
        }

        /// <summary>
        /// <see cref="ContentHash"/> of a string without building its canonical text: the UTF-8 bytes of
        /// <c>s&lt;length&gt;:</c> and of the string, hashed one after the other (the same bytes, so the same hash),
        /// encoded into a pooled buffer. The strict encoder is the surrogate check (vectorized, unlike <see cref="CheckText"/>).
        /// </summary>
        private static string StringContentHash(string s)
        {
            if (s.Length > HashChunkChars) return LargeStringContentHash(s);
            using (var utf8 = new Utf8Buffer(0))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                try { utf8.Append(s); }
                catch (EncoderFallbackException)
                {
                    CheckText(s); // throws the error naming the position
                    throw;
                }
                sha.AppendData(Encoding.ASCII.GetBytes("s" + s.Length.ToString(CultureInfo.InvariantCulture) + ":"));
                sha.AppendData(utf8.Array, 0, utf8.Length);
                return "sha256:" + Names.Hex(sha.GetHashAndReset());
            }
        }

        /// <summary>Strings longer than this are hashed a chunk at a time.</summary>
        private const int HashChunkChars = 256 * 1024;

        /// <summary>
        /// <see cref="StringContentHash"/> of a long string, encoded and hashed a chunk at a time (the same bytes, so the
        /// same hash): memory for a chunk, not for a copy of the string's UTF-8 (a 200 MB value would take 200 MB more).
        /// </summary>
        private static string LargeStringContentHash(string s)
        {
            var encoder = Utf8Buffer.Strict.GetEncoder();
            var chars = new char[HashChunkChars];
            var bytes = new byte[Utf8Buffer.Strict.GetMaxByteCount(HashChunkChars)];
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                sha.AppendData(Encoding.ASCII.GetBytes("s" + s.Length.ToString(CultureInfo.InvariantCulture) + ":"));
                for (int at = 0; at < s.Length; at += HashChunkChars)
                {
                    int n = Math.Min(HashChunkChars, s.Length - at);
                    s.CopyTo(at, chars, 0, n);
                    int written;
                    try { written = encoder.GetBytes(chars, 0, n, bytes, 0, flush: at + n == s.Length); }
                    catch (EncoderFallbackException)
                    {
                        CheckText(s); // throws the error naming the position
                        throw;
                    }
                    sha.AppendData(bytes, 0, written);
                }
                return "sha256:" + Names.Hex(sha.GetHashAndReset());
            }
        }

        /// <summary>Appends the canonical, type-tagged text of a value (length-prefixed strings, sorted map keys).</summary>
        internal static void Canonical(StringBuilder sb, object? value, int depth)
        {
            if (depth > MaxDepth)
                throw new EngramException(EngramErrorIds.ValueTooDeep, EngramErrorKind.InvalidArgument,
                    $"The value is nested more than {MaxDepth} levels deep (or refers to itself).");
            switch (value)
            {
                case null: sb.Append('n'); return;
                case string s: CheckText(s); Str(sb, 's', s); return;
                case bool b: sb.Append(b ? "T" : "F"); return;
                case int i: sb.Append('i').Append(i.ToString(CultureInfo.InvariantCulture)).Append(';'); return;
                case long l: sb.Append('l').Append(l.ToString(CultureInfo.InvariantCulture)).Append(';'); return;
                case double d: sb.Append('d').Append(FormatDouble(d)).Append(';'); return;
                case DateTime dt: Str(sb, 't', dt.ToString("o", CultureInfo.InvariantCulture)); return;
                case Enum en: Str(sb, 's', en.ToString()); return;
                case byte[] bytes: Str(sb, 'b', Convert.ToBase64String(bytes)); return;
                case EngramMap map:
                    {
                        var keys = new List<string>(map.Keys);
                        keys.Sort(StringComparer.Ordinal);
                        sb.Append('{').Append((int)map.Kind).Append(':').Append(keys.Count).Append(':');
                        foreach (var k in keys)
                        {
                            CheckText(k);
                            Str(sb, 'k', k);
                            Canonical(sb, map[k], depth + 1);
                        }
                        sb.Append('}');
                        return;
                    }
                case IEnumerable seq:
                    sb.Append('[');
                    foreach (var item in seq) { Canonical(sb, item, depth + 1); sb.Append(','); }
                    sb.Append(']');
                    return;
            }
            // Scalars: the tagged YAML text is already canonical and type-exact.
            var sw = new StringWriter(CultureInfo.InvariantCulture);
            var e = new Emitter(sw);
            e.Emit(new StreamStart());
            e.Emit(new DocumentStart());
            Write(e, value, depth);
            e.Emit(new DocumentEnd(true));
            e.Emit(new StreamEnd());
            Str(sb, 'x', sw.ToString());
        }

        private static void Str(StringBuilder sb, char type, string s) =>
            sb.Append(type).Append(s.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(s);
    }
}
