using System.Text;

namespace Engram.Core.Values
{
    /// <summary>
    /// Header fields written without YamlDotNet's emitter (whose per-character analysis costs more than the rest of a
    /// small write): a plain word as it is, other printable text in double quotes. The YAML parser reads both back as
    /// the same string; anything else (control characters, line breaks, lone surrogates…) is left to the emitter.
    /// </summary>
    internal static class PlainYaml
    {
        /// <summary>
        /// Text that is a plain YAML scalar in block and flow context and reads back as that string: a letter, digit or
        /// '_' first, then only ASCII letters, digits and <c>_ - . /</c> and, outside a flow sequence, <c>:</c> (never
        /// last, so never followed by a blank), and nothing the core schema resolves as null, bool or a number.
        /// </summary>
        public static bool IsWord(string s, bool flow = false)
        {
            if (s.Length == 0 || s.Length > 256) return false;
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
                if (alnum) continue;
                if (i == 0 || !(c == '-' || c == '.' || c == '/' || (c == ':' && !flow))) return false;
            }
            return s[s.Length - 1] != ':' && !ValueCodec.ResolvesAsNonString(s);
        }

        /// <summary>
        /// A one-line plain scalar whose reading is certain without the YAML parser: an ASCII letter or digit first (or
        /// '-' and a digit), then printable ASCII without <c>#</c>, <c>:</c>, flow indicators (<c>,[]{}</c>) or a
        /// trailing space. (The emitter writes
        /// such a value, say <c>8080</c>, <c>true</c>, <c>1.5</c> or <c>hello world</c>, on one line as it is.)
        /// </summary>
        public static bool IsSimpleLine(string s, int start, int end)
        {
            if (end <= start || s[end - 1] == ' ') return false;
            char first = s[start];
            bool lead = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || (first >= '0' && first <= '9')
                || (first == '-' && end - start > 1 && s[start + 1] >= '0' && s[start + 1] <= '9');
            if (!lead) return false;
            for (int i = start + 1; i < end; i++)
            {
                char c = s[i];
                if (c < 0x20 || c > 0x7E || c == '#' || c == ':' || c == '[' || c == ']' || c == '{' || c == '}' || c == ',') return false;
            }
            return true;
        }

        /// <summary>
        /// Text a double-quoted scalar holds with no escapes but <c>\\</c> and <c>\"</c>: no controls, C1 characters,
        /// surrogates, line or paragraph separators, byte-order mark or non-characters.
        /// </summary>
        private static bool IsQuotable(string s)
        {
            foreach (char c in s)
                if (c < 0x20 || (c >= 0x7F && c < 0xA0) || char.IsSurrogate(c) || c == '\u2028' || c == '\u2029' || c == '\uFEFF' || c >= '\uFFFE')
                    return false;
            return true;
        }

        /// <summary>
        /// Reads back what <see cref="TryAppendScalar"/> writes: a plain word as it is, a double-quoted text with its
        /// <c>\\</c> and <c>\"</c> escapes undone. Null for anything else.
        /// </summary>
        public static string? TryReadScalar(string raw)
        {
            if (raw.Length >= 2 && raw[0] == '"' && raw[raw.Length - 1] == '"')
            {
                var sb = new StringBuilder(raw.Length);
                for (int i = 1; i < raw.Length - 1; i++)
                {
                    char c = raw[i];
                    if (c == '\\')
                    {
                        if (i + 1 >= raw.Length - 1 || (raw[i + 1] != '\\' && raw[i + 1] != '"')) return null;
                        c = raw[++i];
                    }
                    else if (c == '"') return null;
                    sb.Append(c);
                }
                var text = sb.ToString();
                return IsQuotable(text) ? text : null;
            }
            return IsWord(raw) ? raw : null;
        }

        /// <summary>
        /// Appends <paramref name="s"/> as a plain word or a double-quoted scalar (escaping only <c>\</c> and <c>"</c>);
        /// false, with nothing appended, when it has a character that would need another escape.
        /// </summary>
        public static bool TryAppendScalar(StringBuilder sb, string s)
        {
            if (IsWord(s))
            {
                sb.Append(s);
                return true;
            }
            if (!IsQuotable(s)) return false;
            sb.Append('"');
            foreach (char c in s)
            {
                if (c == '"' || c == '\\') sb.Append('\\');
                sb.Append(c);
            }
            sb.Append('"');
            return true;
        }
    }
}
