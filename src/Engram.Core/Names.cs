using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Engram.Core
{
    /// <summary>
    /// Validation of namespace names and keys, and the reversible, file-system-safe mapping of keys to file names.
    /// </summary>
    /// <remarks>
    /// Key encoding (file name stem, before ".yaml"/".prov"):
    /// <list type="bullet">
    /// <item><c>a-z 0-9 -</c> stay as they are; <c>.</c> too, unless it is the first or last character.</item>
    /// <item>An upper-case ASCII letter becomes <c>^</c> + the lower-case letter, so <c>Config</c> and <c>config</c>
    /// stay distinct on case-insensitive file systems.</item>
    /// <item>Every other character becomes <c>_</c> + two lower-case hex digits per UTF-8 byte (<c>/</c> → <c>_2f</c>).</item>
    /// <item>If the stem (up to its first dot) is a Windows device name (CON, NUL, COM1…), its first character is escaped.</item>
    /// <item>A stem longer than <see cref="MaxEncodedLength"/> becomes <c>~</c> + a SHA-256 prefix of the key; the key is
    /// then read from the file itself.</item>
    /// </list>
    /// The result only contains <c>[a-z0-9._^~-]</c>, so no key can name a path outside its folder.
    /// </remarks>
    public static class Names
    {
        public const int MaxKeyLength = 512;

        /// <summary>
        /// The order memories are listed in, on every storage, and the order of the file store's search index (its keys
        /// and terms): Unicode code-point order (the order of the UTF-8 bytes, which SQLite's BINARY collation and
        /// PostgreSQL's "C" collation use, so a database can list in order from its index). It differs from ordinal UTF-16
        /// order only where a character above U+FFFF meets one in U+E000–U+FFFF.
        /// </summary>
        public static IComparer<string> KeyOrder { get; } = new CodePointOrder();

        private sealed class CodePointOrder : IComparer<string>
        {
            public int Compare(string? x, string? y)
            {
                if (ReferenceEquals(x, y)) return 0;
                if (x == null) return -1;
                if (y == null) return 1;
                int n = Math.Min(x.Length, y.Length);
                for (int i = 0; i < n; i++)
                {
                    char a = x[i], b = y[i];
                    if (a != b) return Rank(a) - Rank(b);
                }
                return x.Length - y.Length;
            }

            // Surrogates (U+D800–U+DFFF, the halves of characters above U+FFFF) rank above U+E000–U+FFFF.
            private static int Rank(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
        }
        public const int MaxNamespaceLength = 64;
        public const int MaxEncodedLength = 160;
        public const string ProvenanceNamespace = "_provenance";
        public const string DefaultBranch = "main";

        /// <summary>The seed's standard namespaces; always listed, even when empty.</summary>
        public static readonly IReadOnlyList<string> StandardNamespaces = new[]
        {
            "conversations", "thinking", "longterm", "projects", "compartments", "session", "shared",
        };

        /// <summary>Namespaces tracked by default (the seed's "important namespaces").</summary>
        public static readonly IReadOnlyList<string> DefaultTrackedNamespaces = new[] { "shared", "longterm" };

        // \z, not $: '$' also matches before a final "\n", which let "x\n" through as a namespace, branch or action
        // (an action with a newline tore its log trailer, and the next write cut that entry off as torn).
        private static readonly Regex NamespacePattern = new Regex("^[a-z0-9][a-z0-9._-]*\\z", RegexOptions.CultureInvariant);
        private static readonly Regex WordPattern = new Regex("^[a-z][a-z0-9-]{0,31}\\z", RegexOptions.CultureInvariant);

        private static readonly HashSet<string> DeviceNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "con", "prn", "aux", "nul", "conin$", "conout$",
            "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
            "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
        };

        /// <summary>Validates a namespace name for writing and returns its canonical (lower-case) form.</summary>
        public static string NormalizeNamespace(string? name)
        {
            if (name == null || name.Length == 0)
                throw new EngramException(EngramErrorIds.InvalidNamespace, EngramErrorKind.InvalidArgument,
                    "A namespace name cannot be empty.", name);
            if (name[0] == '_')
                throw new EngramException(EngramErrorIds.ReservedNamespace, EngramErrorKind.InvalidArgument,
                    $"The namespace '{name}' is reserved: names starting with '_' belong to Engram itself ({ProvenanceNamespace} holds provenance).", name);
            var lower = name.ToLowerInvariant();
            if (lower.Length > MaxNamespaceLength || !NamespacePattern.IsMatch(lower) || lower.EndsWith(".", StringComparison.Ordinal)
                || DeviceNames.Contains(lower.Split('.')[0]))
                throw new EngramException(EngramErrorIds.InvalidNamespace, EngramErrorKind.InvalidArgument,
                    $"'{name}' is not a valid namespace name. Use 1 to {MaxNamespaceLength} letters, digits, '-', '_' or '.', starting with a letter or digit (e.g. 'shared', 'project-x').", name);
            return lower;
        }

        /// <summary>Validates a branch name and returns its canonical (lower-case) form. Null or empty means main.</summary>
        public static string NormalizeBranch(string? name)
        {
            if (string.IsNullOrEmpty(name)) return DefaultBranch;
            var lower = name!.ToLowerInvariant();
            if (lower.Length > MaxNamespaceLength || !NamespacePattern.IsMatch(lower) || lower.EndsWith(".", StringComparison.Ordinal)
                || DeviceNames.Contains(lower.Split('.')[0]))
                throw new EngramException(EngramErrorIds.InvalidBranch, EngramErrorKind.InvalidArgument,
                    $"'{name}' is not a valid branch name. Use 1 to {MaxNamespaceLength} letters, digits, '-', '_' or '.', starting with a letter or digit.", name);
            return lower;
        }

        /// <summary>True when <paramref name="name"/> is a valid, non-reserved namespace name.</summary>
        public static bool IsValidNamespace(string? name)
        {
            try { NormalizeNamespace(name); return true; }
            catch (EngramException) { return false; }
        }

        /// <summary>Throws <see cref="EngramErrorIds.InvalidKey"/> unless <paramref name="key"/> is a valid key.</summary>
        public static void ValidateKey(string? key)
        {
            if (key == null || key.Length == 0)
                throw new EngramException(EngramErrorIds.InvalidKey, EngramErrorKind.InvalidArgument, "A key cannot be empty.", key);
            if (key.Length > MaxKeyLength)
                throw new EngramException(EngramErrorIds.InvalidKey, EngramErrorKind.InvalidArgument,
                    $"The key is {key.Length} characters long; the limit is {MaxKeyLength}.", key);
            for (int i = 0; i < key.Length; i++)
            {
                char c = key[i];
                if (char.IsControl(c))
                    throw new EngramException(EngramErrorIds.InvalidKey, EngramErrorKind.InvalidArgument,
                        $"The key contains a control character (U+{(int)c:X4}) at position {i}; keys are printable text.", key);
                if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1])))
                    throw new EngramException(EngramErrorIds.InvalidKey, EngramErrorKind.InvalidArgument,
                        $"The key contains an unpaired UTF-16 surrogate at position {i}.", key);
                if (char.IsHighSurrogate(c)) i++;
            }
        }

        /// <summary>Validates a lower-case word used for actions and branch-like identifiers.</summary>
        public static void ValidateAction(string action)
        {
            if (action == null || !WordPattern.IsMatch(action))
                throw new EngramException(EngramErrorIds.InvalidAction, EngramErrorKind.InvalidArgument,
                    $"'{action}' is not a valid provenance action: use a lower-case word such as 'revised' or 'synthesized'.", action);
        }

        /// <summary>Maps a (validated) key to its file name stem. See the class remarks.</summary>
        public static string EncodeKey(string key)
        {
            ValidateKey(key);
            var sb = new StringBuilder(key.Length + 8);
            var bytes = new byte[4];
            for (int i = 0; i < key.Length; i++)
            {
                char c = key[i];
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
                    sb.Append(c);
                else if (c >= 'A' && c <= 'Z')
                    sb.Append('^').Append((char)(c + 32));
                else if (c == '.' && i != 0 && i != key.Length - 1)
                    sb.Append(c);
                else
                {
                    int len = char.IsHighSurrogate(c) ? 2 : 1;
                    int n = Encoding.UTF8.GetBytes(key.ToCharArray(i, len), 0, len, bytes, 0);
                    for (int b = 0; b < n; b++) sb.Append('_').Append(bytes[b].ToString("x2", CultureInfo.InvariantCulture));
                    i += len - 1;
                }
            }

            var stem = sb.ToString();
            int dot = stem.IndexOf('.');
            if (DeviceNames.Contains(dot < 0 ? stem : stem.Substring(0, dot)))
                stem = "_" + ((int)stem[0]).ToString("x2", CultureInfo.InvariantCulture) + stem.Substring(1);
            if (stem.Length > MaxEncodedLength)
                stem = "~" + Hex(Sha256(Encoding.UTF8.GetBytes(key))).Substring(0, 40);
            return stem;
        }

        /// <summary>
        /// Reverses <see cref="EncodeKey"/>. Returns null for hashed stems (the key must be read from the file)
        /// and for names Engram did not write.
        /// </summary>
        public static string? DecodeKey(string stem)
        {
            if (string.IsNullOrEmpty(stem) || stem[0] == '~') return null;
            var sb = new StringBuilder(stem.Length);
            var pending = new List<byte>();
            for (int i = 0; i < stem.Length; i++)
            {
                char c = stem[i];
                if (c == '_')
                {
                    if (i + 2 >= stem.Length) return null;
                    if (!byte.TryParse(stem.Substring(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b)
                        || !IsLowerHex(stem[i + 1]) || !IsLowerHex(stem[i + 2]))
                        return null;
                    pending.Add(b);
                    i += 2;
                    continue;
                }
                if (!Flush(pending, sb)) return null;
                if (c == '^')
                {
                    if (i + 1 >= stem.Length || stem[i + 1] < 'a' || stem[i + 1] > 'z') return null;
                    sb.Append((char)(stem[i + 1] - 32));
                    i++;
                }
                else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')
                    sb.Append(c);
                else
                    return null;
            }
            if (!Flush(pending, sb)) return null;
            var key = sb.ToString();
            try { return EncodeKey(key) == stem ? key : null; }
            catch (EngramException) { return null; }
        }

        private static bool IsLowerHex(char c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');

        private static bool Flush(List<byte> pending, StringBuilder sb)
        {
            if (pending.Count == 0) return true;
            try
            {
                sb.Append(new UTF8Encoding(false, true).GetString(pending.ToArray()));
            }
            catch (ArgumentException)
            {
                return false;
            }
            pending.Clear();
            return true;
        }

        internal static byte[] Sha256(byte[] data)
        {
            using (var sha = SHA256.Create()) return sha.ComputeHash(data);
        }

        internal static string Hex(byte[] data)
        {
            var sb = new StringBuilder(data.Length * 2);
            foreach (var b in data) sb.Append(b.ToString("x2", CultureInfo.InvariantCulture));
            return sb.ToString();
        }
    }
}
