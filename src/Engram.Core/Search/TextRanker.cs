using System;
using System.Collections.Generic;

namespace Engram.Core.Search
{
    /// <summary>
    /// Ranks memories against a <see cref="SearchQuery"/> by a BM25F score over two fields, the key and the value
    /// (<see cref="SearchText.FromValue"/>), for backends that scan (the file store). Memories are added one at a
    /// time; only a small entry per matching memory is kept (namespace, key, term counts, lengths — never the
    /// value), because the score needs corpus statistics that are known only after the scan.
    /// </summary>
    /// <remarks>
    /// For each query term t, with tf its count in a field, len the field's length in terms and avg its mean over the
    /// memories scanned:
    /// <code>
    /// w(t)    = Wkey·tf_key / (1 − Bkey + Bkey·len_key/avg_key) + Wvalue·tf_value / (1 − Bvalue + Bvalue·len_value/avg_value)
    /// idf(t)  = ln(1 + (N − df + 0.5) / (df + 0.5))
    /// score   = Σ idf(t) · w(t)·(k1 + 1) / (w(t) + k1)
    /// </code>
    /// N is the number of memories scanned, df the number containing t (in either field). A prefix term counts every
    /// term it starts. Wkey = 3, Wvalue = 1 (a hit in the key weighs three times one in the value), Bkey = 0.5,
    /// Bvalue = 0.75, k1 = 1.2. Every term must match (AND). Ties: namespace, then key (ordinal).
    /// </remarks>
    internal sealed class TextRanker
    {
        internal const double KeyWeight = 3.0;
        internal const double ValueWeight = 1.0;
        internal const double KeyB = 0.5;
        internal const double ValueB = 0.75;
        internal const double K1 = 1.2;

        private readonly SearchQuery _query;
        private readonly int[] _df;
        private readonly List<Candidate> _candidates = new List<Candidate>();
        private long _documents;
        private long _keyLengthSum;
        private long _valueLengthSum;

        public TextRanker(SearchQuery query)
        {
            _query = query;
            _df = new int[query.Terms.Count];
        }

        /// <summary>Memories scanned so far.</summary>
        public long Documents => _documents;

        /// <summary>Memories that matched every term so far.</summary>
        public int Matches => _candidates.Count;

        /// <summary>Scans one memory.</summary>
        public void Add(MemoryRecord memory) => Add(memory.Namespace, memory.Key, memory.Value);

        public void Add(string ns, string key, object? value)
        {
            var keyTerms = SearchText.Tokenize(key);
            var valueTerms = SearchText.Tokenize(SearchText.FromValue(value));
            _documents++;
            _keyLengthSum += keyTerms.Count;
            _valueLengthSum += valueTerms.Count;

            var terms = _query.Terms;
            int[]? keyTf = null, valueTf = null;
            bool all = true;
            for (int t = 0; t < terms.Count; t++)
            {
                int k = Count(keyTerms, terms[t]), v = Count(valueTerms, terms[t]);
                if (k + v == 0)
                {
                    all = false;
                    continue;
                }
                _df[t]++;
                if (!all) continue;
                keyTf ??= new int[terms.Count];
                valueTf ??= new int[terms.Count];
                keyTf[t] = k;
                valueTf[t] = v;
            }
            if (all) _candidates.Add(new Candidate(ns, key, keyTf!, valueTf!, keyTerms.Count, valueTerms.Count));
        }

        private static int Count(List<string> terms, SearchTerm term)
        {
            int n = 0;
            foreach (var t in terms)
                if (term.Matches(t)) n++;
            return n;
        }

        /// <summary>The best <paramref name="top"/> matches, best first, with their scores.</summary>
        public IReadOnlyList<(string Namespace, string Key, double Score)> Top(int top)
        {
            var n = (double)_documents;
            double avgKey = _documents == 0 ? 1 : Math.Max(1e-9, _keyLengthSum / n);
            double avgValue = _documents == 0 ? 1 : Math.Max(1e-9, _valueLengthSum / n);
            var idf = new double[_df.Length];
            for (int t = 0; t < _df.Length; t++) idf[t] = Math.Log(1 + (n - _df[t] + 0.5) / (_df[t] + 0.5));

            var scored = new List<(string Namespace, string Key, double Score)>(_candidates.Count);
            foreach (var c in _candidates)
            {
                double score = 0;
                for (int t = 0; t < idf.Length; t++)
                {
                    double w = KeyWeight * c.KeyTf[t] / (1 - KeyB + KeyB * c.KeyLength / avgKey)
                             + ValueWeight * c.ValueTf[t] / (1 - ValueB + ValueB * c.ValueLength / avgValue);
                    score += idf[t] * w * (K1 + 1) / (w + K1);
                }
                scored.Add((c.Namespace, c.Key, score));
            }
            scored.Sort(Compare);
            if (scored.Count > top) scored.RemoveRange(top, scored.Count - top);
            return scored;
        }

        /// <summary>Best first; ties by namespace, then key (ordinal).</summary>
        internal static int Compare((string Namespace, string Key, double Score) a, (string Namespace, string Key, double Score) b)
        {
            int c = b.Score.CompareTo(a.Score);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.Namespace, b.Namespace);
            return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
        }

        private sealed class Candidate
        {
            public Candidate(string ns, string key, int[] keyTf, int[] valueTf, int keyLength, int valueLength)
            {
                Namespace = ns;
                Key = key;
                KeyTf = keyTf;
                ValueTf = valueTf;
                KeyLength = keyLength;
                ValueLength = valueLength;
            }

            public string Namespace { get; }
            public string Key { get; }
            public int[] KeyTf { get; }
            public int[] ValueTf { get; }
            public int KeyLength { get; }
            public int ValueLength { get; }
        }
    }
}
