using System;
using System.Collections.Generic;
using System.Text;
using Engram.Core.Search;

namespace Engram.Core.Storage
{
    internal sealed partial class SearchIndex
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        /// <summary>Where a match of one namespace came from: a segment's memory, or a log record.</summary>
        internal sealed class Matches
        {
            public Matches(State state) { State = state; }

            public State State { get; }
            public Dictionary<string, int> Docs { get; } = new Dictionary<string, int>(StringComparer.Ordinal); // key -> segment doc, or -1 (log)

            public string HashOf(string key)
            {
                int doc = Docs[key];
                if (doc < 0) return State.Latest[key].Hash!;
                State.Segment!.ReadDoc(doc, out _, out var hash, out _, out _);
                return hash;
            }
        }

        private sealed class Candidate
        {
            public Candidate(int terms)
            {
                KeyTf = new int[terms];
                ValueTf = new int[terms];
            }

            public readonly int[] KeyTf;
            public readonly int[] ValueTf;
            public int Matched;
        }

        /// <summary>
        /// Adds one namespace to <paramref name="ranker"/>: its corpus totals (memories, key and value lengths, how many
        /// memories hold each term) and every memory matching all terms, exactly as the scan of its memory files would.
        /// </summary>
        internal static Matches Collect(State state, string ns, SearchQuery query, TextRanker ranker)
        {
            var matches = new Matches(state);
            var terms = query.Terms;
            int t = terms.Count;
            var seg = state.Segment;
            int docCount = seg?.DocCount ?? 0;
            long documents = docCount, keySum = seg?.KeyLengthSum ?? 0, valueSum = seg?.ValueLengthSum ?? 0;
            var df = new int[t];

            // Memories the log rewrote or removed since the segment: the segment's entries for them no longer count.
            bool[]? superseded = null;
            foreach (var r in state.Latest.Values)
            {
                if (seg != null)
                {
                    int d = seg.FindDoc(Utf8.GetBytes(r.Key));
                    if (d >= 0)
                    {
                        superseded ??= new bool[docCount];
                        superseded[d] = true;
                        seg.ReadLengths(d, out var kl, out var vl);
                        documents--;
                        keySum -= kl;
                        valueSum -= vl;
                    }
                }
                if (r.Removed) continue;
                documents++;
                keySum += r.Counts!.KeyLength;
                valueSum += r.Counts.ValueLength;
                int[]? k = null, v = null;
                bool all = true;
                for (int i = 0; i < t; i++)
                {
                    r.Counts.CountMatches(terms[i], out var a, out var b);
                    if (a + b == 0) { all = false; continue; }
                    df[i]++;
                    if (!all) continue;
                    k ??= new int[t];
                    v ??= new int[t];
                    k[i] = a;
                    v[i] = b;
                }
                if (all)
                {
                    ranker.AddCandidate(ns, r.Key, k!, v!, r.Counts.KeyLength, r.Counts.ValueLength);
                    matches.Docs[r.Key] = -1;
                }
            }

            if (seg != null && docCount > 0)
            {
                // The term with the fewest postings names the candidates; the others only count (df) and add to them.
                var matching = new List<int>[t];
                var postingCounts = new long[t];
                int driver = 0;
                for (int i = 0; i < t; i++)
                {
                    matching[i] = new List<int>(seg.Matching(terms[i]));
                    foreach (var j in matching[i]) postingCounts[i] += seg.PostingCount(j);
                    if (postingCounts[i] < postingCounts[driver]) driver = i;
                }
                var order = new List<int> { driver };
                for (int i = 0; i < t; i++) if (i != driver) order.Add(i);
                var seen = new int[docCount];
                var candidates = new Dictionary<int, Candidate>();
                var postings = new List<(int Doc, int KeyTf, int ValueTf)>();
                foreach (var i in order)
                {
                    int stamp = i + 1;
                    foreach (var j in matching[i])
                    {
                        postings.Clear();
                        seg.ReadPostings(j, postings);
                        foreach (var p in postings)
                        {
                            if (superseded != null && superseded[p.Doc]) continue;
                            bool first = seen[p.Doc] != stamp;
                            if (first)
                            {
                                seen[p.Doc] = stamp;
                                df[i]++;
                            }
                            if (!candidates.TryGetValue(p.Doc, out var c))
                            {
                                if (i != driver) continue;
                                candidates[p.Doc] = c = new Candidate(t);
                            }
                            c.KeyTf[i] += p.KeyTf;
                            c.ValueTf[i] += p.ValueTf;
                            if (first) c.Matched++;
                        }
                    }
                }
                foreach (var kv in candidates)
                {
                    if (kv.Value.Matched != t) continue;
                    var key = seg.ReadKey(kv.Key);
                    seg.ReadLengths(kv.Key, out var kl, out var vl);
                    ranker.AddCandidate(ns, key, kv.Value.KeyTf, kv.Value.ValueTf, kl, vl);
                    matches.Docs[key] = kv.Key;
                }
            }
            ranker.AddCorpus(documents, keySum, valueSum, df);
            return matches;
        }
    }
}
