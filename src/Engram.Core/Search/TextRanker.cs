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
    /// <para>An index (the file store's, <see cref="Storage.SearchIndex"/>) feeds the same ranker its totals
    /// (<see cref="AddCorpus"/>) and its matches (<see cref="AddCandidate"/>) instead of memories, so both give the same
    /// scores, bit for bit, and the same order.</para>
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

        /// <summary>
        /// Adds what an index knows of a set of memories without the memories themselves: their count, the sums of their
        /// key and value lengths, and how many of them hold each query term (<paramref name="df"/>, in query order). The
        /// same totals as <see cref="Add(string, string, object?)"/> would have collected from the memories one by one.
        /// </summary>
        public void AddCorpus(long documents, long keyLengthSum, long valueLengthSum, int[] df)
        {
            if (df.Length != _df.Length) throw new ArgumentException("One document frequency per query term is needed.", nameof(df));
            _documents += documents;
            _keyLengthSum += keyLengthSum;
            _valueLengthSum += valueLengthSum;
            for (int t = 0; t < df.Length; t++) _df[t] += df[t];
        }

        /// <summary>Adds a memory an index found matching every term, with its term counts (query order) and field
        /// lengths; its contribution to the corpus totals comes through <see cref="AddCorpus"/>.</summary>
        public void AddCandidate(string ns, string key, int[] keyTf, int[] valueTf, int keyLength, int valueLength) =>
            _candidates.Add(new Candidate(ns, key, keyTf, valueTf, keyLength, valueLength));

        /// <summary>The best <paramref name="top"/> matches, best first, with their scores.</summary>
        public IReadOnlyList<(string Namespace, string Key, double Score)> Top(int top)
        {
            var score = new Bm25F(_documents, _keyLengthSum, _valueLengthSum, _df);
            // The best `top` under Compare (a total order), kept in a heap whose root is the worst kept: the same list a
            // full sort would cut, without sorting every match.
            var heap = new List<(string Namespace, string Key, double Score)>(Math.Min(top, _candidates.Count) + 1);
            foreach (var c in _candidates)
            {
                var item = (c.Namespace, c.Key, score.Of(c.KeyTf, c.ValueTf, c.KeyLength, c.ValueLength));
                if (heap.Count < top) HeapPush(heap, item);
                else if (Compare(item, heap[0]) < 0) HeapReplaceRoot(heap, item);
            }
            heap.Sort(Compare);
            return heap;
        }

        // A max-heap under Compare: the root is the item that sorts last.
        private static void HeapPush(List<(string Namespace, string Key, double Score)> heap, (string Namespace, string Key, double Score) item)
        {
            heap.Add(item);
            int i = heap.Count - 1;
            while (i > 0)
            {
                int parent = (i - 1) / 2;
                if (Compare(heap[i], heap[parent]) <= 0) break;
                (heap[i], heap[parent]) = (heap[parent], heap[i]);
                i = parent;
            }
        }

        private static void HeapReplaceRoot(List<(string Namespace, string Key, double Score)> heap, (string Namespace, string Key, double Score) item)
        {
            heap[0] = item;
            int i = 0, n = heap.Count;
            while (true)
            {
                int l = 2 * i + 1, r = l + 1, largest = i;
                if (l < n && Compare(heap[l], heap[largest]) > 0) largest = l;
                if (r < n && Compare(heap[r], heap[largest]) > 0) largest = r;
                if (largest == i) return;
                (heap[i], heap[largest]) = (heap[largest], heap[i]);
                i = largest;
            }
        }

        /// <summary>Best first; ties by namespace, then key (ordinal).</summary>
        internal static int Compare((string Namespace, string Key, double Score) a, (string Namespace, string Key, double Score) b)
        {
            int c = b.Score.CompareTo(a.Score);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.Namespace, b.Namespace);
            return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
        }

        /// <summary>The score of one memory given the corpus totals (the formula in the class remarks).</summary>
        private sealed class Bm25F
        {
            private readonly double[] _idf;
            private readonly double _avgKey, _avgValue;

            public Bm25F(long documents, long keyLengthSum, long valueLengthSum, int[] df)
            {
                var n = (double)documents;
                _avgKey = documents == 0 ? 1 : Math.Max(1e-9, keyLengthSum / n);
                _avgValue = documents == 0 ? 1 : Math.Max(1e-9, valueLengthSum / n);
                _idf = new double[df.Length];
                for (int t = 0; t < df.Length; t++) _idf[t] = Math.Log(1 + (n - df[t] + 0.5) / (df[t] + 0.5));
            }

            public double Of(int[] keyTf, int[] valueTf, int keyLength, int valueLength)
            {
                double score = 0;
                for (int t = 0; t < _idf.Length; t++)
                {
                    double w = KeyWeight * keyTf[t] / (1 - KeyB + KeyB * keyLength / _avgKey)
                             + ValueWeight * valueTf[t] / (1 - ValueB + ValueB * valueLength / _avgValue);
                    score += _idf[t] * w * (K1 + 1) / (w + K1);
                }
                return score;
            }
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
