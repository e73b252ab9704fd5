using System;
using System.Collections.Generic;

namespace Engram.Core
{
    /// <summary>"Did you mean …?": the known name nearest to a misspelt one (Levenshtein distance, case-insensitive).</summary>
    internal static class Spelling
    {
        /// <summary>
        /// The name in <paramref name="known"/> nearest to <paramref name="name"/>, or null when none is plausibly meant
        /// (more edits than half the name's length, at least 2 allowed). Ties go to the first in <paramref name="known"/>.
        /// </summary>
        public static string? Nearest(string name, IEnumerable<string> known)
        {
            string? best = null;
            int bestDistance = int.MaxValue;
            foreach (var k in known)
            {
                int d = Distance(name.ToLowerInvariant(), k.ToLowerInvariant());
                if (d < bestDistance) { best = k; bestDistance = d; }
            }
            return best != null && bestDistance <= Math.Max(2, name.Length / 2) ? best : null;
        }

        /// <summary>The Levenshtein distance: insertions, deletions and substitutions turning <paramref name="a"/> into <paramref name="b"/>.</summary>
        public static int Distance(string a, string b)
        {
            var previous = new int[b.Length + 1];
            var current = new int[b.Length + 1];
            for (int j = 0; j <= b.Length; j++) previous[j] = j;
            for (int i = 1; i <= a.Length; i++)
            {
                current[0] = i;
                for (int j = 1; j <= b.Length; j++)
                {
                    int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                    current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                }
                (previous, current) = (current, previous);
            }
            return previous[b.Length];
        }
    }
}
