using System;
using System.Collections.Generic;

namespace Engram.Core.Search
{
    /// <summary>
    /// What an index keeps of one memory for the BM25F ranking (<see cref="TextRanker"/>): the length of its key and of
    /// its value in terms, and each distinct term with its count in the key and in the value. The terms are
    /// <see cref="SearchText.Tokenize"/>'s, of the key and of <see cref="SearchText.FromValue"/>, exactly what the scan
    /// counts, so a score computed from these counts is the scan's.
    /// </summary>
    internal sealed class TermCounts
    {
        internal TermCounts(int keyLength, int valueLength, string[] terms, int[] keyTf, int[] valueTf)
        {
            KeyLength = keyLength;
            ValueLength = valueLength;
            Terms = terms;
            KeyTf = keyTf;
            ValueTf = valueTf;
        }

        public int KeyLength { get; }
        public int ValueLength { get; }
        /// <summary>Distinct terms, in <see cref="Names.KeyOrder"/>.</summary>
        public string[] Terms { get; }
        public int[] KeyTf { get; }
        public int[] ValueTf { get; }

        /// <summary>The counts of a memory's key and value.</summary>
        public static TermCounts Of(string key, object? value)
        {
            var keyTerms = SearchText.Tokenize(key);
            var valueTerms = SearchText.Tokenize(SearchText.FromValue(value));
            var counts = new Dictionary<string, int[]>(StringComparer.Ordinal);
            foreach (var t in keyTerms) Counter(counts, t)[0]++;
            foreach (var t in valueTerms) Counter(counts, t)[1]++;
            var terms = new string[counts.Count];
            counts.Keys.CopyTo(terms, 0);
            Array.Sort(terms, Names.KeyOrder);
            var k = new int[terms.Length];
            var v = new int[terms.Length];
            for (int i = 0; i < terms.Length; i++)
            {
                var c = counts[terms[i]];
                k[i] = c[0];
                v[i] = c[1];
            }
            return new TermCounts(keyTerms.Count, valueTerms.Count, terms, k, v);
        }

        private static int[] Counter(Dictionary<string, int[]> counts, string term)
        {
            if (!counts.TryGetValue(term, out var c)) counts[term] = c = new int[2];
            return c;
        }

        /// <summary>The sum of the counts of every term <paramref name="query"/> matches (a prefix term matches several).</summary>
        public void CountMatches(SearchTerm query, out int keyTf, out int valueTf)
        {
            keyTf = 0;
            valueTf = 0;
            for (int i = 0; i < Terms.Length; i++)
                if (query.Matches(Terms[i]))
                {
                    keyTf += KeyTf[i];
                    valueTf += ValueTf[i];
                }
        }

        /// <summary>Same terms, same counts, same lengths.</summary>
        public bool SameAs(TermCounts other)
        {
            if (KeyLength != other.KeyLength || ValueLength != other.ValueLength || Terms.Length != other.Terms.Length) return false;
            for (int i = 0; i < Terms.Length; i++)
                if (!string.Equals(Terms[i], other.Terms[i], StringComparison.Ordinal) || KeyTf[i] != other.KeyTf[i] || ValueTf[i] != other.ValueTf[i]) return false;
            return true;
        }
    }
}
