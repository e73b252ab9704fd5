using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Engram.Core.Values
{
    /// <summary>
    /// The fast path for long strings: written as a YAML literal block scalar (<c>|</c>) by our own code instead of
    /// YamlDotNet's emitter, whose per-character analysis costs ~30 ms per MB whatever the style. The text is the same
    /// YAML any reader understands; only strings whose characters are all safe inside a literal block take this path
    /// (checked with a vectorized scan), the rest go through the emitter as before.
    /// </summary>
    internal static class LiteralBlock
    {
        /// <summary>Shorter strings go through the emitter (cheap at that size, and its plain style reads better).</summary>
        public const int MinLength = 256;

        /// <summary>
        /// True when every character of <paramref name="s"/> is printable text a literal block keeps as it is: tab,
        /// line feed, printable ASCII, and printable non-ASCII (paired surrogates; not the C1 controls, NEL, the
        /// Unicode line/paragraph separators, the byte-order mark or the non-characters U+FFFE/U+FFFF). Carriage
        /// returns and other controls need double quotes, so such strings are not safe here; nor is text of line feeds
        /// only, or whose first line starts with white space.
        /// </summary>
        public static bool IsSafe(string s)
        {
            // A first line that starts with white space would need an indentation indicator, which YamlDotNet's
            // scanner does not accept there ("extra spaces in first line"): such text goes through the emitter.
            int lead = 0;
            while (lead < s.Length && s[lead] == '\n') lead++;
            if (lead == s.Length || s[lead] == ' ' || s[lead] == '\t') return false;
            var chars = MemoryMarshal.Cast<char, ushort>(s.AsSpan());
            int width = Vector<ushort>.Count, i = 0;
            if (Vector.IsHardwareAccelerated && chars.Length >= width)
            {
                var space = new Vector<ushort>(0x20);
                var tilde = new Vector<ushort>(0x7E);
                var lineFeed = new Vector<ushort>('\n');
                var tab = new Vector<ushort>('\t');
                while (i <= chars.Length - width)
                {
                    var v = MemoryMarshal.Read<Vector<ushort>>(MemoryMarshal.AsBytes(chars.Slice(i, width)));
                    // Line feeds and tabs count as spaces; then every lane must be within ' '..'~'.
                    var allowed = Vector.BitwiseOr(Vector.Equals(v, lineFeed), Vector.Equals(v, tab));
                    v = Vector.ConditionalSelect(allowed, space, v);
                    if (Vector.LessThanAny(v, space) || Vector.GreaterThanAny(v, tilde))
                    {
                        int next = CheckScalar(s, i, i + width);
                        if (next < 0) return false;
                        i = next;
                    }
                    else i += width;
                }
            }
            return CheckScalar(s, i, s.Length) >= 0;
        }

        /// <summary>Checks <c>s[from..to)</c> (a surrogate pair may run one past <paramref name="to"/>); returns where to go on, or -1.</summary>
        private static int CheckScalar(string s, int from, int to)
        {
            int i = from;
            while (i < to)
            {
                char c = s[i];
                if (c == '\t' || c == '\n' || (c >= 0x20 && c <= 0x7E)) { i++; continue; }
                if (c < 0xA0 || c == '\u2028' || c == '\u2029' || c == '\uFEFF' || c == '\uFFFE' || c == '\uFFFF') return -1;
                if (char.IsHighSurrogate(c))
                {
                    if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1])) return -1;
                    i += 2;
                    continue;
                }
                if (char.IsLowSurrogate(c)) return -1;
                i++;
            }
            return i;
        }

        /// <summary>
        /// Reads back a <c>value:</c> section exactly as <see cref="Append"/> writes it, from <paramref name="start"/>
        /// (the start of its line) to the end of <paramref name="text"/>: the header line with its chomping indicator,
        /// then lines that are empty or indented by two spaces. Anything else (a hand edit, another style) returns
        /// false, and the YAML parser reads it instead. The result is what a YAML parser makes of the same lines.
        /// </summary>
        public static bool TryRead(string text, int start, out string? value) => TryRead(text, start, text.Length, out value);

        /// <summary><see cref="TryRead(string, int, out string?)"/> of the section that ends at <paramref name="stop"/>
        /// (exclusive): a provenance entry's value is read in place, without copying the section first.</summary>
        public static bool TryRead(string text, int start, int stop, out string? value)
        {
            value = null;
            int nl = text.IndexOf('\n', start, stop - start);
            if (nl < 0) return false;
            var head = text.Substring(start, nl - start);
            int chomp = head == "value: |-" ? 0 : head == "value: |" ? 1 : head == "value: |+" ? 2 : -1;
            if (chomp < 0 || text[stop - 1] != '\n' || text.IndexOf('\r', nl, stop - nl) >= 0) return false;
            // One line (then only line feeds): the value is a piece of the text as it is, copied once.
            int first = text.IndexOf('\n', nl + 1, stop - nl - 1);
            if (first - nl - 1 >= 3 && text[nl + 1] == ' ' && text[nl + 2] == ' ' && OnlyLineFeeds(text, first, stop))
            {
                int length = first - nl - 3;
                var line = text.Substring(nl + 3, chomp == 0 ? length : chomp == 1 ? length + 1 : length + stop - first);
                if (!IsSafe(line)) return false;
                value = line;
                return true;
            }
            var sb = new System.Text.StringBuilder(stop - nl);
            int pos = nl + 1;
            while (pos < stop)
            {
                int end = text.IndexOf('\n', pos, stop - pos);
                if (end > pos)
                {
                    if (end - pos < 3 || text[pos] != ' ' || text[pos + 1] != ' ') return false; // not our indentation
                    sb.Append(text, pos + 2, end - pos - 2);
                }
                sb.Append('\n');
                pos = end + 1;
            }
            int content = sb.Length;
            while (content > 0 && sb[content - 1] == '\n') content--;
            if (content == 0) return false; // only line feeds: never written this way
            if (chomp == 0) sb.Length = content;
            else if (chomp == 1) sb.Length = content + 1;
            var read = sb.ToString();
            if (!IsSafe(read)) return false; // only text Append would have written this way (no other line breaks, controls…)
            value = read;
            return true;
        }

        private static bool OnlyLineFeeds(string text, int from, int stop)
        {
            for (int i = from; i < stop; i++)
                if (text[i] != '\n') return false;
            return true;
        }

        /// <summary>
        /// Appends <c>&lt;key&gt;: |…</c> and the indented lines of <paramref name="s"/> (which <see cref="IsSafe"/>
        /// accepted, and which has at least one character other than a line feed). The header carries the chomping
        /// indicator for the trailing line feeds (<c>-</c> none, nothing for one, <c>+</c> more).
        /// </summary>
        public static void Append(Utf8Buffer into, string key, string s)
        {
            int trailing = 0;
            while (trailing < s.Length && s[s.Length - 1 - trailing] == '\n') trailing++;
            into.Append(key + (trailing == 0 ? ": |-\n" : trailing == 1 ? ": |\n" : ": |+\n"));
            using (var raw = new Utf8Buffer(0))
            {
                raw.Append(s); // one vectorized pass; line feeds are single bytes in UTF-8
                byte[] bytes = raw.Array;
                int n = raw.Length, pos = 0;
                while (pos < n)
                {
                    int nl = System.Array.IndexOf(bytes, (byte)'\n', pos, n - pos);
                    int end = nl < 0 ? n : nl;
                    if (end > pos)
                    {
                        into.Append((byte)' ');
                        into.Append((byte)' ');
                        into.Append(bytes, pos, end - pos);
                    }
                    into.Append((byte)'\n');
                    pos = end + 1;
                }
            }
        }
    }
}
