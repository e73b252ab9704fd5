using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace Engram.PowerShell
{
    /// <summary>
    /// The keys a cmdlet's <c>-Key</c> (wildcard patterns) and <c>-LiteralKey</c> (exact keys) select. Keys are
    /// case-sensitive, and so is every pattern: <c>report*</c> matches <c>report2</c>, not <c>Report0</c>.
    /// A piped object that names a memory (every Engram object has a PSKey property) binds -LiteralKey; its Key
    /// property then also binds -Key, which is ignored for that object, so a piped key is never a pattern.
    /// </summary>
    internal sealed class KeySelector
    {
        private readonly List<(string Text, WildcardPattern? Pattern)> _items;

        private KeySelector(List<(string Text, WildcardPattern? Pattern)> items) { _items = items; }

        /// <summary>Each key or pattern with its compiled pattern (null: an exact key).</summary>
        public IReadOnlyList<(string Text, WildcardPattern? Pattern)> Items => _items;

        /// <summary>A case-sensitive pattern, or null when <paramref name="text"/> has no wildcard characters.</summary>
        public static WildcardPattern? PatternOf(string text) =>
            WildcardPattern.ContainsWildcardCharacters(text) ? new WildcardPattern(text, WildcardOptions.None) : null;

        /// <summary>
        /// The selection, or null for every key (neither parameter has a value). <paramref name="keysFromCommandLine"/>:
        /// -Key was typed on the command line (not bound from a piped object), so it counts beside -LiteralKey.
        /// </summary>
        public static KeySelector? From(string[]? keys, string[]? literalKeys, bool keysFromCommandLine)
        {
            if (keys == null && literalKeys == null) return null;
            var items = new List<(string, WildcardPattern?)>();
            if (keys != null && (literalKeys == null || keysFromCommandLine))
                items.AddRange(keys.Select(k => (k, PatternOf(k))));
            if (literalKeys != null)
                items.AddRange(literalKeys.Select(k => (k, (WildcardPattern?)null)));
            return new KeySelector(items);
        }

        /// <summary>True when <paramref name="key"/> is one of the exact keys or matches one of the patterns (a pattern
        /// also matches the key spelled exactly like it).</summary>
        public bool IsMatch(string key) => _items.Any(i => i.Text == key || (i.Pattern != null && i.Pattern.IsMatch(key)));
    }
}
