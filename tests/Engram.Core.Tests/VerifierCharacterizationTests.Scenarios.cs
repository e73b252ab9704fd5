using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core;
using Engram.Core.Storage;

namespace Engram.Core.Tests
{
    // The damage each golden scenario makes, and what it asks the verifier.
    public partial class VerifierCharacterizationTests
    {
        private static void Three(Run r, string key = "k")
        {
            r.T.Set("shared", key, "v1");
            r.T.Set("shared", key, "v2");
            r.T.Set("shared", key, "v3");
        }

        private static string Prov(Run r, string key = "k") => r.P("_provenance", "shared", key + ".prov");
        private static string Mem(Run r, string key = "k") => r.P("shared", key + ".yaml");

        private static void Edit(string path, Func<string, string> edit) =>
            File.WriteAllBytes(path, Encoding.UTF8.GetBytes(edit(File.ReadAllText(path))));

        /// <summary>The .prov text split into its entries, each with its trailer line.</summary>
        private static List<string> Entries(string path)
        {
            var text = File.ReadAllText(path);
            var result = new List<string>();
            int start = 0;
            while (start < text.Length)
            {
                int trailer = text.IndexOf("\n#~ ", start, StringComparison.Ordinal);
                int end = text.IndexOf('\n', trailer + 1) + 1;
                result.Add(text.Substring(start, end - start));
                start = end;
            }
            return result;
        }

        private static void Crash(Run r, string step, Action<EngramStore> write)
        {
            var s = r.T.Reopen();
            s.FaultHook = x => { if (x == step) throw new SimulatedCrashException(x); };
            try { write(s); }
            catch (SimulatedCrashException) { }
        }

        private static void Link(Run r, string link, string target, bool directory)
        {
            try
            {
                if (directory) Directory.CreateSymbolicLink(link, target);
                else File.CreateSymbolicLink(link, target);
            }
            catch (Exception ex) when (OperatingSystem.IsWindows() && (ex is UnauthorizedAccessException || ex is IOException))
            {
                r.NoLinks = true;
            }
        }

        private static readonly Dictionary<string, Action<Run>> AllScenarios = new Dictionary<string, Action<Run>>(StringComparer.Ordinal)
        {
            ["healthy"] = r =>
            {
                Three(r, "a");
                r.T.Set("shared", "b", "one");
                r.T.Store.Remove("shared", "b", "tester");
                r.T.Set("session", "x", "untracked");
                r.T.Set("longterm", "deep", new Engram.Core.Values.EngramMap(Engram.Core.Values.MapKind.Ordered) { { "n", 1 } });
                r.T.Store.Fork("shared", "feat", null, "tester", null);
                r.T.Store.Set(new SetRequest("shared", "a", "on feat") { Branch = "feat", Actor = "tester" });
                r.T.Store.Fork("shared", "kf", new[] { "a" }, "tester", null);
                r.T.Set("shared", "a", "v4");
                r.Verify();
                r.Provenance("shared");
                r.Provenance("shared", k => k == "a");
                var head = r.T.Store.GetHead("shared");
                r.T.Set("shared", "a", "v5");
                r.Against(head);
                r.Verify(repair: true);
            },
            ["torn-append"] = r =>
            {
                Three(r);
                File.AppendAllText(Prov(r), "---\nschema: 1\nseq: 4\nmemo");
                r.Verify();
                r.Provenance("shared");
                r.Verify(repair: true);
                r.Verify();
            },
            ["torn-only"] = r =>
            {
                r.T.Set("shared", "k", "v1");
                File.WriteAllText(Prov(r, "t"), "---\nschema: 1\nse");
                File.WriteAllText(Prov(r, "e"), "");
                r.Verify();
                r.Provenance("shared");
                r.Verify(repair: true);
            },
            ["dangling-revision"] = r =>
            {
                Three(r);
                Crash(r, "prov-appended", s => s.Set(new SetRequest("shared", "k", "v4") { Actor = "tester" }));
                r.Verify();
                r.Provenance("shared");
                r.Verify(repair: true);
                r.Verify();
            },
            ["dangling-create-and-torn"] = r =>
            {
                r.T.Set("shared", "other", "x");
                Crash(r, "prov-appended", s => s.Set(new SetRequest("shared", "k", "v1") { Actor = "tester" }));
                File.AppendAllText(Prov(r), "--");
                r.Verify();
                r.Verify(repair: true);
            },
            ["dangling-deletion"] = r =>
            {
                Three(r);
                Crash(r, "prov-appended", s => s.Remove("shared", "k", "tester"));
                r.Verify();
                r.Verify(repair: true);
            },
            ["lost-file"] = r =>
            {
                Three(r);
                File.Delete(Mem(r));
                r.Verify();
                r.Provenance("shared");
                r.Verify(repair: true);
                r.Verify();
            },
            ["lost-file-no-value"] = r =>
            {
                r.T.Set("shared", "k", "v1");
                r.T.Set("shared", "k", "v2");
                File.Delete(Mem(r));
                r.T.Store.SetRetention("shared", new RetentionPolicy(null, 1));
                r.T.Store.Optimize(n => n == "shared", false, "tester");
                r.Verify();
                r.Verify(repair: true);
            },
            ["malformed-file"] = r =>
            {
                Three(r);
                File.WriteAllText(Mem(r), "this: [is not\n");
                r.T.Set("shared", "plain", "p");
                File.WriteAllText(Mem(r, "plain"), "neither: {\n");
                r.T.Set("session", "u", "untracked");
                File.WriteAllText(r.P("session", "u.yaml"), "garbage: [\n");
                r.Verify();
                r.Provenance("shared");
                r.Provenance("session");
                r.Verify(repair: true);
                r.Verify();
            },
            ["stale-hash"] = r =>
            {
                Three(r);
                Edit(Mem(r), s => s.Replace("v3", "v9"));
                r.T.Set("session", "u", "abc");
                Edit(r.P("session", "u.yaml"), s => s.Replace("abc", "abcd"));
                r.Verify();
                r.Verify(repair: true);
                r.Verify();
            },
            ["misplaced-key"] = r =>
            {
                Three(r, "a");
                r.T.Set("shared", "b", "bee");
                File.Copy(Mem(r, "a"), Mem(r, "b"), true);
                File.Copy(Mem(r, "a"), Mem(r, "c"), true);
                r.Verify();
                r.Provenance("shared");
                r.Verify(repair: true);
            },
            ["broken-chain"] = r =>
            {
                Three(r);
                Edit(Prov(r), s => s.Replace("actor: tester", "actor: mallory"));
                r.Verify();
                r.Provenance("shared");
                r.Verify(repair: true);
            },
            ["broken-last-entry"] = r =>
            {
                Three(r);
                var e = Entries(Prov(r));
                int at = e[2].IndexOf("actor: tester", StringComparison.Ordinal);
                e[2] = e[2].Substring(0, at) + "actor: tesTer" + e[2].Substring(at + "actor: tester".Length);
                File.WriteAllText(Prov(r), string.Concat(e));
                r.Verify();
                r.Verify(repair: true);
            },
            ["tampered-value"] = r =>
            {
                Three(r);
                var e = Entries(Prov(r));
                e[1] = e[1].Replace("value: v2", "value: v7");
                File.WriteAllText(Prov(r), string.Concat(e));
                r.Verify();
                r.Provenance("shared");
            },
            ["sequence-gap"] = r =>
            {
                Three(r);
                var e = Entries(Prov(r));
                File.WriteAllText(Prov(r), e[0] + e[2]);
                r.Verify();
                r.Provenance("shared");
            },
            ["trailer-mismatch"] = r =>
            {
                Three(r);
                var e = Entries(Prov(r));
                e[0] = e[0].Replace("#~ 1 1 1 created", "#~ 1 1 5 created");
                File.WriteAllText(Prov(r), string.Concat(e));
                r.T.Set("shared", "z", "z1");
                r.T.Set("shared", "z", "z2");
                Edit(Prov(r, "z"), s => s.Substring(0, s.Length - 1) + " extra\n");
                r.Verify();
                r.Provenance("shared");
                r.Verify(repair: true);
            },
            ["garbage-after-last"] = r =>
            {
                Three(r);
                File.AppendAllText(Prov(r), "xyz\n");
                r.T.Set("shared", "g", "g1");
                File.AppendAllText(Prov(r, "g"), "not an entry");
                r.Verify();
                r.Provenance("shared");
                r.Verify(repair: true);
            },
            ["history-mismatch"] = r =>
            {
                Three(r);
                Edit(Mem(r), s => s.Replace("version: 3", "version: 7"));
                r.T.Set("shared", "d", "d1");
                r.T.Store.Remove("shared", "d", "tester");
                File.WriteAllText(Mem(r, "d"), File.ReadAllText(Mem(r)).Replace("key: k", "key: d"));
                r.Verify();
                r.Provenance("shared");
                r.Verify(repair: true);
            },
            ["unsupported-format"] = r =>
            {
                Three(r);
                Edit(Mem(r), s => "format: 99\n" + s);
                Edit(Prov(r), s => s.Replace("#~ 1 3 3", "#~ 9 3 3"));
                r.T.Set("shared", "f", "f1");
                Edit(Mem(r, "f"), s => "format: 99\n" + s);
                r.Verify();
                r.Provenance("shared");
                r.Verify(repair: true);
            },
            ["too-large"] = r =>
            {
                r.T.Store.Initialize(new StoreConfig { MaxValueBytes = 1024 });
                r.T.Set("shared", "k", "small");
                File.WriteAllText(Mem(r, "big"), "key: big\nvalue: " + new string('x', 3 * 1024 * 1024) + "\n");
                r.T.Set("shared", "h", "tracked");
                File.WriteAllText(Mem(r, "h"), "key: h\nvalue: " + new string('y', 3 * 1024 * 1024) + "\n");
                r.Verify();
                r.Provenance("shared");
            },
            ["links"] = r =>
            {
                Three(r);
                r.T.Set("shared", "m", "m1");
                File.WriteAllText(Path.Combine(r.Outside, "secret.yaml"), "key: s\nvalue: secret\n");
                Link(r, Mem(r, "s"), Path.Combine(r.Outside, "secret.yaml"), false);
                File.Move(Mem(r, "m"), Path.Combine(r.Outside, "m.yaml"));
                Link(r, Mem(r, "m"), Path.Combine(r.Outside, "m.yaml"), false);
                Directory.CreateDirectory(Path.Combine(r.Outside, "ns"));
                Link(r, r.P("linked"), Path.Combine(r.Outside, "ns"), true);
                r.T.Set("longterm", "l", "l1");
                Directory.Move(r.P("_provenance", "longterm"), Path.Combine(r.Outside, "prov-longterm"));
                Link(r, r.P("_provenance", "longterm"), Path.Combine(r.Outside, "prov-longterm"), true);
                r.Verify();
                r.Provenance("shared");
                r.Provenance("longterm");
                r.Against(new ProvenanceHead("shared", DateTime.UtcNow, new List<HeadEntry> { new HeadEntry("m", 1, new string('a', 64)), new HeadEntry("k", 3, new string('b', 64)) }));
                r.Verify(repair: true);
            },
            ["lock-link"] = r =>
            {
                Three(r);
                File.WriteAllText(Path.Combine(r.Outside, "lock"), "");
                if (File.Exists(r.P("_lock"))) File.Delete(r.P("_lock"));
                Link(r, r.P("_lock"), Path.Combine(r.Outside, "lock"), false);
                File.Delete(Mem(r));
                r.Verify(repair: true);
            },
            ["transactions"] = r =>
            {
                r.T.Set("shared", "k", "v1");
                r.T.Store.Fork("shared", "feat", null, "tester", null);
                Crash(r, "committed", s => s.Set(new SetRequest("shared", "k", "on feat") { Branch = "feat", Actor = "tester" }));
                var planted = r.P("_txn", "20260101000000000-deadbeef");
                Directory.CreateDirectory(planted);
                File.WriteAllText(Path.Combine(planted, "committed"), "engram-txn 1\nWrite 0 0 ../x\nend\n");
                r.Verify();
                r.Verify(repair: true);
                r.Verify();
            },
            ["uncommitted-transaction"] = r =>
            {
                r.T.Set("shared", "k", "v1");
                r.T.Store.Fork("shared", "feat", null, "tester", null);
                Crash(r, "intent-written", s => s.Set(new SetRequest("shared", "k", "on feat") { Branch = "feat", Actor = "tester" }));
                r.Verify();
                r.Verify(repair: true);
            },
            ["temp-files"] = r =>
            {
                r.T.Set("shared", "k", "v1");
                Directory.CreateDirectory(r.P("_tmp"));
                File.WriteAllText(r.P("_tmp", "abc.tmp"), "left over");
                File.WriteAllText(r.P("_tmp", "def"), "left over too");
                r.Verify();
                r.Verify(repair: true);
            },
            ["branches"] = r =>
            {
                Three(r, "a");
                r.T.Set("shared", "b", "bee");
                r.T.Store.Fork("shared", "feat", null, "tester", null);
                r.T.Store.Fork("shared", "gone", null, "tester", null);
                r.T.Store.Fork("shared", "named", null, "tester", null);
                r.T.Store.Fork("shared", "kf", new[] { "a" }, "tester", null);
                r.T.Store.Fork("shared", "bad", null, "tester", null);
                r.T.Store.Set(new SetRequest("shared", "a", "on feat") { Branch = "feat", Actor = "tester" });
                File.Delete(r.P("_branches", "shared", "gone", "branch.yaml"));
                Edit(r.P("_branches", "shared", "named", "branch.yaml"), s => s.Replace("named", "other"));
                Directory.CreateDirectory(r.P("_branches", "shared", "kf", "mem"));
                File.WriteAllText(r.P("_branches", "shared", "kf", "mem", "b.yaml"), File.ReadAllText(Mem(r, "b")));
                File.WriteAllText(r.P("_branches", "shared", "bad", "branch.yaml"), "name: [\n");
                Directory.CreateDirectory(r.P("_branches", "shared", "feat", "base"));
                File.WriteAllText(r.P("_branches", "shared", "feat", "base", "x.yaml"), "broken: [\n");
                r.Verify();
                r.Verify(repair: true);
            },
            ["planted-files"] = r =>
            {
                Three(r);
                File.WriteAllText(r.P("shared", "bad_zz.yaml"), "key: whatever\nvalue: 1\n");
                File.WriteAllText(r.P("shared", "README.txt"), "not a memory");
                File.Copy(Prov(r), r.P("_provenance", "shared", "bad_zz.prov"));
                File.Copy(Prov(r), r.P("_provenance", "shared", "~deadbeef.prov"));
                Directory.CreateDirectory(r.P("_provenance", "Bad Name"));
                File.Copy(Prov(r), r.P("_provenance", "Bad Name", "k.prov"));
                Directory.CreateDirectory(r.P("_provenance", "orphans"));
                File.Copy(Prov(r), r.P("_provenance", "orphans", "k.prov"));
                Directory.CreateDirectory(r.P("emptyns"));
                r.Verify();
                r.Provenance("shared");
                r.Provenance("orphans");
                r.Verify(repair: true);
            },
            ["anchors"] = r =>
            {
                Three(r, "a");
                Three(r, "b");
                Three(r, "c");
                r.T.Set("shared", "d", "d1");
                var head = r.T.Store.GetHead("shared");
                r.T.Set("shared", "a", "v4");
                File.WriteAllText(Prov(r, "b"), string.Concat(Entries(Prov(r, "b")).Take(2)));
                File.WriteAllText(Prov(r, "b"), File.ReadAllText(Prov(r, "b")));
                Edit(Mem(r, "b"), s => s.Replace("version: 3", "version: 2").Replace("v3", "v2"));
                Edit(Prov(r, "c"), s => s.Replace("actor: tester", "actor: eve"));
                File.Delete(Prov(r, "d"));
                r.Against(head);
                r.Against(new ProvenanceHead("shared", DateTime.UtcNow, new List<HeadEntry> { new HeadEntry("a", 2, new string('0', 64)), new HeadEntry("zz", 1, new string('1', 64)) }));
            },
            ["anchors-squashed"] = r =>
            {
                for (int i = 1; i <= 6; i++) r.T.Set("shared", "k", "v" + i);
                var head = r.T.Store.GetHead("shared");
                var early = new ProvenanceHead("shared", DateTime.UtcNow, new List<HeadEntry> { new HeadEntry("k", 2, head.Entries[0].Hash) });
                r.T.Store.SetRetention("shared", new RetentionPolicy(null, 2));
                r.T.Store.Optimize(n => n == "shared", false, "tester");
                r.Against(head);
                r.Against(early);
                r.Verify();
            },
        };
    }
}
