using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Engram.Core;
using Engram.Core.Values;
using Xunit;

namespace Engram.Storage.Tests
{
    public abstract partial class StorePropertyTest
    {
        // ------------------------------------------------------------------ store == model

        private static void Check(IEngramStore store, StoreModel model, Dictionary<string, string> ids, bool debt, string where, bool verify = true)
        {
            var diffs = Compare(store, model, ids, debt, verify);
            Assert.True(diffs.Count == 0, $"after {where} the store differs from the model:\n  " + string.Join("\n  ", diffs));
        }

        /// <summary>Everything observable through the interface, against the model. Binds placeholder ids in <paramref name="ids"/>.</summary>
        internal static List<string> Compare(IEngramStore s, StoreModel m, Dictionary<string, string> ids, bool debt, bool verify = true)
        {
            var d = new List<string>();
            bool SameId(string expected, string actual)
            {
                if (!expected.StartsWith('?')) return expected == actual;
                if (ids.TryGetValue(expected, out var bound)) return bound == actual;
                ids[expected] = actual;
                return true;
            }
            void Memory(string what, StoreModel.Mem? e, MemoryRecord? a)
            {
                if (e == null) { if (a != null) d.Add($"{what}: expected none, found v{a.Version} {Describe(a.Value)}"); return; }
                if (a == null) { d.Add($"{what}: expected v{e.Version} {Describe(e.Value)}, found none"); return; }
                if (a.Version != e.Version) d.Add($"{what}: expected version {e.Version}, found {a.Version}");
                if (!SameId(e.Id, a.Id)) d.Add($"{what}: expected id {e.Id}, found {a.Id}");
                if (!e.Tags.SequenceEqual(a.Tags)) d.Add($"{what}: expected tags [{string.Join(",", e.Tags)}], found [{string.Join(",", a.Tags)}]");
                var diff = ValueDiff(e.Value, a.Value, "value");
                if (diff != null) d.Add($"{what}: {diff}");
                if (a.ContentHash != e.Hash) d.Add($"{what}: content hash differs");
            }

            foreach (var ns in StorePropertyTest.Namespaces)
            {
                var keys = s.ListKeys(ns, null);
                if (!keys.SequenceEqual(m.MainKeys(ns))) d.Add($"{ns}: keys [{string.Join(",", keys)}], expected [{string.Join(",", m.MainKeys(ns))}]");
                foreach (var key in StorePropertyTest.Keys)
                {
                    Memory($"{ns}/{key}", m.MainOf(ns, key), s.TryGet(ns, key));
                    CompareHistory(s, m, ns, key, d, SameId, debt);
                }

                var branches = s.GetBranches(ns);
                var expected = m.BranchesOf(ns).ToList();
                var names = branches.Select(b => b.Record.Name).ToList();
                if (!names.SequenceEqual(expected.Select(b => b.Name)))
                {
                    d.Add($"{ns}: branches [{string.Join(",", names)}], expected [{string.Join(",", expected.Select(b => b.Name))}]");
                    continue;
                }
                for (int i = 0; i < expected.Count; i++)
                {
                    var eb = expected[i];
                    var ab = branches[i];
                    string where = ns + "@" + eb.Name;
                    if (!(eb.Keys == null ? ab.Record.Keys == null : ab.Record.Keys != null && ab.Record.Keys.SequenceEqual(eb.Keys)))
                        d.Add($"{where}: keys {(ab.Record.Keys == null ? "all" : string.Join(",", ab.Record.Keys))}, expected {(eb.Keys == null ? "all" : string.Join(",", eb.Keys))}");
                    if (ab.ChangedCount != eb.Overlay.Count) d.Add($"{where}: {ab.ChangedCount} pending changes, expected {eb.Overlay.Count}");
                    var bkeys = s.ListKeys(ns, eb.Name);
                    var ebkeys = m.BranchKeys(ns, eb);
                    if (!bkeys.SequenceEqual(ebkeys)) d.Add($"{where}: keys [{string.Join(",", bkeys)}], expected [{string.Join(",", ebkeys)}]");
                    foreach (var key in StorePropertyTest.Keys)
                        Memory($"{where}/{key}", eb.Covers(key) ? StoreModel.Live(m.ViewRaw(ns, eb, key)) : null, s.TryGet(ns, key, eb.Name));
                }
            }

            if (!verify) return d;
            var report = s.Verify(repair: false);
            foreach (var f in report.Findings)
            {
                if (f.Severity == FindingSeverity.Information) continue;
                if (debt && f.Severity == FindingSeverity.Warning && (f.Kind == "DanglingEntry" || f.Kind == "OrphanTempFile" || f.Kind == "DanglingIndexRecord")) continue;
                d.Add($"Verify: {f.Severity} {f.Kind} {f.Namespace}/{f.Key}#{f.Seq}: {f.Message}");
            }
            return d;
        }

        private static void CompareHistory(IEngramStore s, StoreModel m, string ns, string key, List<string> d, Func<string, string, bool> sameId, bool debt)
        {
            string what = $"{ns}/{key} history";
            bool has = s.HasProvenance(ns, key);
            if (!m.HasHistory(ns, key))
            {
                if (has) d.Add($"{what}: expected none, but HasProvenance is true");
                return;
            }
            if (!has) { d.Add($"{what}: expected {m.History[(ns, key)].Count} entries, HasProvenance is false"); return; }
            var actual = s.GetProvenance(ns, key).ToList();
            var expected = m.History[(ns, key)];
            if (actual.Count != expected.Count)
            {
                d.Add($"{what}: {actual.Count} entries, expected {expected.Count}:\n    found    {string.Join("\n             ", actual.Select(e => $"{e.Action}@{e.Branch} v{e.Version}"))}\n    expected {string.Join("\n             ", expected)}");
                return;
            }
            int? lastMain = null;
            for (int i = 0; i < actual.Count; i++)
            {
                var a = actual[i];
                var e = expected[i];
                string w = $"{what} entry {i + 1}";
                if (a.Seq != i + 1) d.Add($"{w}: seq {a.Seq} (sequence must be gap-free from 1)");
                if (!a.VerifyHash()) d.Add($"{w}: its hash does not verify");
                if (i == 0 ? a.PrevHash != null : a.PrevHash != actual[i - 1].Hash) d.Add($"{w}: does not link to the entry before it");
                if (a.Action != e.Action || a.Branch != e.Branch || a.Version != e.Version || a.HasValue != e.HasValue)
                    d.Add($"{w}: {a.Action}@{a.Branch} v{a.Version}{(a.HasValue ? " value" : "")}, expected {e}");
                if (a.ContentHash != e.Hash) d.Add($"{w}: content hash {a.ContentHash ?? "none"}, expected {e.Hash ?? "none"}");
                if (e.HasValue && a.HasValue) { var vd = ValueDiff(e.Value, a.Value, "value"); if (vd != null) d.Add($"{w}: {vd}"); }
                if (a.Actor != e.Actor || a.Reason != e.Reason) d.Add($"{w}: by {a.Actor} ({a.Reason}), expected by {e.Actor} ({e.Reason})");
                if (!sameId(e.Id, a.MemoryId)) d.Add($"{w}: memory id {a.MemoryId}, expected {e.Id}");
                if (a.Branch == Names.DefaultBranch)
                {
                    // Main-line versions never go back and never skip (the first may be any: a memory tracked late),
                    // except a merge that brings a branch's new memory with the branch's version.
                    if (lastMain != null && (a.Version < lastMain || (a.Version > lastMain + 1 && a.Action != "merged")))
                        d.Add($"{w}: main-line version {a.Version} after {lastMain}");
                    lastMain = a.Version;
                }
            }
            var last2 = s.GetProvenance(ns, key, last: 2).Select(x => x.Seq).ToList();
            if (!last2.SequenceEqual(actual.Skip(Math.Max(0, actual.Count - 2)).Select(x => x.Seq))) d.Add($"{what}: the last two entries (-Last 2) are seq {string.Join(",", last2)}");
        }

        /// <summary>Null when equal: same value, same .NET types, same map kinds and key order.</summary>
        internal static string? ValueDiff(object? e, object? a, string path)
        {
            if (e == null) return a == null ? null : $"{path}: expected null, found {Describe(a)}";
            if (a == null) return $"{path}: expected {Describe(e)}, found null";
            if (e.GetType() != a.GetType()) return $"{path}: expected a {e.GetType().Name}, found a {a.GetType().Name} ({Describe(a)})";
            switch (e)
            {
                case EngramMap em:
                    var am = (EngramMap)a;
                    if (em.Kind != am.Kind) return $"{path}: expected a {em.Kind} map, found {am.Kind}";
                    if (!em.Keys.SequenceEqual(am.Keys)) return $"{path}: keys [{string.Join(",", am.Keys)}], expected [{string.Join(",", em.Keys)}]";
                    foreach (var k in em.Keys) { var x = ValueDiff(em[k], am[k], path + "." + k); if (x != null) return x; }
                    return null;
                case object?[] ea:
                    var aa = (object?[])a;
                    if (ea.Length != aa.Length) return $"{path}: {aa.Length} items, expected {ea.Length}";
                    for (int i = 0; i < ea.Length; i++) { var x = ValueDiff(ea[i], aa[i], path + "[" + i + "]"); if (x != null) return x; }
                    return null;
                case byte[] eb: return eb.SequenceEqual((byte[])a) ? null : $"{path}: bytes differ";
                case DateTime dt: return dt.Ticks == ((DateTime)a).Ticks && dt.Kind == ((DateTime)a).Kind ? null : $"{path}: {a:o}, expected {dt:o}";
                default: return Equals(e, a) ? null : $"{path}: {Describe(a)}, expected {Describe(e)}";
            }
        }
    }
}
