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
            foreach (char c in s)
                if (c < 0x20 || (c >= 0x7F && c < 0xA0) || char.IsSurrogate(c) || c == '\u2028' || c == '\u2029' || c == '\uFEFF' || c >= '\uFFFE')
                    return false;
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
