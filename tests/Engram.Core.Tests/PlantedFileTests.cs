using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Engram.Core;
using Xunit;

namespace Engram.Core.Tests
{
    /// <summary>
    /// Files planted in a store by someone who can write to it (a shared or copied folder): transaction records that
    /// name paths outside the store or targets no transaction changes, and links at every level. Nothing outside the
    /// store may change, the operation must fail with a stable id, Test-EngramStore must report an Error, and -Repair
    /// must quarantine a planted record (never replay, delete or follow it). Error ids are spelled out as strings so the
    /// suite also runs against builds from before containment (where it fails).
    /// </summary>
    public class PlantedFileTests : IDisposable
    {
        private const string TxnId = "20260101000000000-deadbeef";
        private readonly TempStore _t = new TempStore();
        private readonly string _outside;
        private readonly string _other;

        public PlantedFileTests()
        {
            _t.Set("shared", "k", "v1");
            _t.Set("shared", "k", "v2");
            _t.Set("session", "u", "untracked");
            _t.Store.Fork("shared", "b1", null, "tester");
            _t.Store.Set(new SetRequest("shared", "k", "on branch") { Branch = "b1", Actor = "tester" });
            _outside = Path.Combine(_t.Parent, "outside");
            Directory.CreateDirectory(Path.Combine(_outside, "tree", "a"));
            File.WriteAllText(Path.Combine(_outside, "victim.txt"), "victim");
            File.WriteAllText(Path.Combine(_outside, "secret.txt"), "secret");
            File.WriteAllText(Path.Combine(_outside, "tree", "a", "b.txt"), "deep");
            _other = Path.Combine(_t.Parent, "other");
            new EngramStore(_other).Set(new SetRequest("shared", "x", "other store") { Actor = "tester" });
        }

        public void Dispose() => _t.Dispose();

        // ------------------------------------------------------------------ helpers

        /// <summary>Every entry under <paramref name="dir"/> without following links: files by content hash, folders, links by target.</summary>
        private static SortedDictionary<string, string> Snap(string dir, string? skip = null)
        {
            var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var pending = new Stack<string>();
            pending.Push(dir);
            while (pending.Count > 0)
            {
                var d = pending.Pop();
                foreach (var e in Directory.EnumerateFileSystemEntries(d))
                {
                    if (skip != null && e == skip) continue;
                    var rel = Path.GetRelativePath(dir, e);
                    var info = new FileInfo(e);
                    if (info.LinkTarget != null) result[rel] = "link:" + info.LinkTarget;
                    else if ((info.Attributes & FileAttributes.Directory) != 0) { result[rel] = "dir"; pending.Push(e); }
                    else result[rel] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(e)));
                }
            }
            return result;
        }

        /// <summary>Everything outside the store (the scratch folder, the other store, the sentinels).</summary>
        private SortedDictionary<string, string> Outside() => Snap(_t.Parent, skip: _t.Root);

        private static void Same(SortedDictionary<string, string> before, SortedDictionary<string, string> after, string what)
        {
            var changed = before.Keys.Union(after.Keys).Where(k => !before.TryGetValue(k, out var b) || !after.TryGetValue(k, out var a) || a != b).ToList();
            Assert.True(changed.Count == 0, $"{what} changed: {string.Join(", ", changed)}");
        }

        private static EngramException Refused(string id, Action a)
        {
            var ex = Assert.Throws<EngramException>(a);
            Assert.True(ex.ErrorId == id, $"expected {id}, got {ex.ErrorId}: {ex.Message}");
            return ex;
        }

        private string TxnDir => _t.P("_txn", TxnId);

        private string ProvLength => new FileInfo(_t.P("_provenance", "shared", "k.prov")).Length.ToString(CultureInfo.InvariantCulture);

        private void PlantRecord(string body, bool withEnd = true)
        {
            Directory.CreateDirectory(TxnDir);
            File.WriteAllText(Path.Combine(TxnDir, "committed"), "engram-txn 1\n" + body + (withEnd ? "\nend\n" : ""));
            for (int i = 0; i < 3; i++) File.WriteAllText(Path.Combine(TxnDir, "s" + i), "planted " + i + "\n");
        }

        private static bool TryLink(string link, string target, bool directory)
        {
            try
            {
                if (directory) Directory.CreateSymbolicLink(link, target);
                else File.CreateSymbolicLink(link, target);
                return true;
            }
            catch (Exception ex) when (OperatingSystem.IsWindows() && (ex is UnauthorizedAccessException || ex is IOException))
            {
                return false; // Windows without the privilege to create links: nothing to test
            }
        }

        /// <summary>Moves a folder or file of the store outside and leaves a link to it in its place.</summary>
        private string MoveOutAndLink(params string[] rel)
        {
            var inside = _t.P(rel);
            var moved = Path.Combine(_outside, "moved-" + string.Join("-", rel));
            bool dir = Directory.Exists(inside);
            if (dir) Directory.Move(inside, moved); else File.Move(inside, moved);
            return TryLink(inside, moved, dir) ? inside : "";
        }

        // ------------------------------------------------------------------ planted transaction records

        public static IEnumerable<object[]> PlantedRecords() => new[]
        {
            // name, record lines (before "end"), error id of the next write
            new object[] { "write ../x", "Write 0 0 ../x", "TransactionCorrupt" },
            new object[] { "delete outside file", "Delete 0 0 ../outside/victim.txt", "TransactionCorrupt" },
            new object[] { "delete outside tree", "DeleteTree 0 0 ../outside/tree", "TransactionCorrupt" },
            new object[] { "append outside", "Append 0 0 ../outside/victim.txt", "TransactionCorrupt" },
            new object[] { "absolute path", "Write 0 0 {outside}/abs.txt", "TransactionCorrupt" },
            new object[] { "drive-letter path", "Write 0 0 C:/x.yaml", "TransactionCorrupt" },
            new object[] { "into another store", "Write 0 0 ../other/shared/x.yaml", "TransactionCorrupt" },
            new object[] { "delete in another store", "Delete 0 0 ../other/shared/x.yaml", "TransactionCorrupt" },
            new object[] { ".. inside the path", "Write 0 0 shared/../../x", "TransactionCorrupt" },
            new object[] { ". segment", "Write 0 0 shared/./k.yaml", "TransactionCorrupt" },
            new object[] { "empty segment", "Write 0 0 shared//k.yaml", "TransactionCorrupt" },
            new object[] { "backslashes", "Write 0 0 shared\\..\\..\\x", "TransactionCorrupt" },
            new object[] { "empty target", "Write 0 0 ", "TransactionCorrupt" },
            new object[] { "huge target", "Write 0 0 " + new string('a', 100_000), "TransactionCorrupt" },
            new object[] { "huge line", new string('W', 3_000_000), "TransactionCorrupt" },
            new object[] { "reserved _lock", "Write 0 0 _lock", "TransactionCorrupt" },
            new object[] { "reserved _txn", "Write 0 0 _txn/other/committed", "TransactionCorrupt" },
            new object[] { "reserved _tmp", "Write 0 0 _tmp/x.tmp", "TransactionCorrupt" },
            new object[] { "reserved _quarantine", "Delete 0 0 _quarantine/x", "TransactionCorrupt" },
            new object[] { "device name", "Write 0 0 shared/con.yaml", "TransactionCorrupt" },
            new object[] { "not a stem Engram writes", "Write 0 0 shared/K.yaml", "TransactionCorrupt" },
            new object[] { "upper-case namespace", "Write 0 0 Shared/k.yaml", "TransactionCorrupt" },
            new object[] { "DeleteTree of the root", "DeleteTree 0 0 .", "TransactionCorrupt" },
            new object[] { "DeleteTree of _provenance", "DeleteTree 0 0 _provenance", "TransactionCorrupt" },
            new object[] { "DeleteTree of a namespace", "DeleteTree 0 0 shared", "TransactionCorrupt" },
            new object[] { "DeleteTree of a history folder", "DeleteTree 0 0 _provenance/shared", "TransactionCorrupt" },
            new object[] { "delete a history", "Delete 0 0 _provenance/shared/k.prov", "TransactionCorrupt" },
            new object[] { "delete engram.yaml", "Delete 0 0 engram.yaml", "TransactionCorrupt" },
            new object[] { "valid op, then an escaping one", "Write 0 0 session/planted.yaml\nWrite 1 0 ../x", "TransactionCorrupt" },
            new object[] { "numeric operation", "1 0 0 shared/k.yaml", "TransactionCorrupt" },
            new object[] { "unknown operation", "Chmod 0 0 shared/k.yaml", "TransactionCorrupt" },
            new object[] { "index out of order", "Write 7 0 session/planted.yaml", "TransactionCorrupt" },
            new object[] { "negative length", "Append 0 -5 _provenance/shared/k.prov", "TransactionCorrupt" },
            new object[] { "append past the end", "Append 0 999999999 _provenance/shared/k.prov", "TransactionCorrupt" },
            new object[] { "same target twice", "Write 0 0 session/planted.yaml\nDelete 1 0 session/planted.yaml", "TransactionCorrupt" },
            new object[] { "carriage return", "Write 0 0 session/planted.yaml\r", "TransactionCorrupt" },
            new object[] { "line after end", "Write 0 0 session/planted.yaml\nend\nDelete 1 0 shared/k.yaml", "TransactionCorrupt" },
            new object[] { "no end line", "Write 0 0 session/planted.yaml\nDelete 1 0 shared/k.yaml|noend", "TransactionCorrupt" },
        };

        [Theory]
        [MemberData(nameof(PlantedRecords))]
        public void PlantedRecord_IsNeverReplayed_IsAnError_AndRepairQuarantinesIt(string name, string body, string id)
        {
            bool withEnd = !body.EndsWith("|noend", StringComparison.Ordinal);
            PlantRecord(body.Replace("|noend", "").Replace("{outside}", _outside), withEnd);
            AssertRefusedReportedQuarantined(name, id, "CorruptTransaction", TxnDir);
        }

        [Fact]
        public void PlantedRecord_NotUtf8_IsRefused()
        {
            Directory.CreateDirectory(TxnDir);
            File.WriteAllBytes(Path.Combine(TxnDir, "committed"), Encoding.ASCII.GetBytes("engram-txn 1\nWrite 0 0 session/x").Concat(new byte[] { 0xFF, 0xFE, (byte)'\n' }).Concat(Encoding.ASCII.GetBytes("end\n")).ToArray());
            AssertRefusedReportedQuarantined("not UTF-8", "TransactionCorrupt", "CorruptTransaction", TxnDir);
        }

        [Fact]
        public void PlantedRecord_StagedFileIsALink_ItsTargetIsNeverCopiedIn()
        {
            PlantRecord("Write 0 0 session/planted.yaml\nAppend 1 " + ProvLength + " _provenance/shared/k.prov");
            File.Delete(Path.Combine(TxnDir, "s1"));
            if (!TryLink(Path.Combine(TxnDir, "s1"), Path.Combine(_outside, "secret.txt"), false)) return;
            AssertRefusedReportedQuarantined("staged link", "UnsafeStorePath", "CorruptTransaction", TxnDir);
        }

        [Fact]
        public void PlantedRecord_CommitRecordIsALink()
        {
            Directory.CreateDirectory(TxnDir);
            var record = Path.Combine(_outside, "record.txt");
            File.WriteAllText(record, "engram-txn 1\nDelete 0 0 shared/k.yaml\nend\n");
            if (!TryLink(Path.Combine(TxnDir, "committed"), record, false)) return;
            AssertRefusedReportedQuarantined("linked record", "UnsafeStorePath", "CorruptTransaction", TxnDir);
        }

        [Fact]
        public void PlantedRecord_TransactionFolderIsALink()
        {
            var elsewhere = Path.Combine(_outside, "txn");
            Directory.CreateDirectory(elsewhere);
            File.WriteAllText(Path.Combine(elsewhere, "committed"), "engram-txn 1\nWrite 0 0 session/planted.yaml\nend\n");
            File.WriteAllText(Path.Combine(elsewhere, "s0"), "planted");
            Directory.CreateDirectory(_t.P("_txn"));
            if (!TryLink(TxnDir, elsewhere, true)) return;
            AssertRefusedReportedQuarantined("linked transaction folder", "UnsafeStorePath", "CorruptTransaction", TxnDir);
        }

        [Fact]
        public void PlantedRecord_TxnFolderItselfIsALink()
        {
            var elsewhere = Path.Combine(_outside, "txns");
            Directory.CreateDirectory(Path.Combine(elsewhere, TxnId));
            File.WriteAllText(Path.Combine(elsewhere, TxnId, "committed"), "engram-txn 1\nDelete 0 0 shared/k.yaml\nend\n");
            if (!TryLink(_t.P("_txn"), elsewhere, true)) return;
            AssertRefusedReportedQuarantined("linked _txn", "UnsafeStorePath", "UnsafeStorePath", _t.P("_txn"));
        }

        [Fact]
        public void ValidInterruptedTransaction_IsStillFinished()
        {
            // The rule refuses what Engram cannot have written, not what it did: a real record is replayed as before.
            PlantRecord("Write 0 0 session/planted.yaml\nAppend 1 " + ProvLength + " _provenance/shared/k.prov");
            File.WriteAllText(Path.Combine(TxnDir, "s1"), ""); // appends nothing
            var report = _t.Reopen().Verify();
            Assert.Contains(report.Findings, f => f.Kind == "InterruptedTransaction" && f.Severity == FindingSeverity.Warning);
            Assert.DoesNotContain(report.Findings, f => f.Severity == FindingSeverity.Error);
            _t.Reopen().Set(new SetRequest("session", "after", "v") { Actor = "tester" });
            Assert.Equal("planted 0\n", File.ReadAllText(_t.P("session", "planted.yaml")));
            Assert.False(Directory.Exists(TxnDir));
        }

        [Theory]
        [InlineData("Config")]
        [InlineData("../x")]
        [InlineData("a.b")]
        [InlineData("con")]
        [InlineData("ünïcödé key")]
        [InlineData("a very long key ............................................................................................................................................................................ end")]
        public void RealRecords_OfEveryKeyShape_AreReplayedAfterACrash(string key)
        {
            // Every stem Engram writes passes the layout rule: a crash after the commit point is finished by the next writer.
            _t.Set("shared", key, "main");
            var s = _t.Reopen();
            s.FaultHook = step => { if (step == "committed") throw new Engram.Core.Storage.SimulatedCrashException(step); };
            Assert.Throws<Engram.Core.Storage.SimulatedCrashException>(() => s.Set(new SetRequest("shared", key, "branch value") { Branch = "b1", Actor = "t" }));
            Assert.Single(Directory.GetDirectories(_t.P("_txn")));
            var report = _t.Reopen().Verify();
            Assert.DoesNotContain(report.Findings, f => f.Severity == FindingSeverity.Error);
            _t.Reopen().Set(new SetRequest("session", "after", "v") { Actor = "t" });
            Assert.Equal("branch value", _t.Reopen().TryGet("shared", key, "b1")!.Value);
            Assert.False(Directory.Exists(_t.P("_txn")));
        }

        private void AssertRefusedReportedQuarantined(string name, string errorId, string findingKind, string findingPath)
        {
            var outside = Outside();
            var store = Snap(_t.Root);

            // The next writer refuses to start; nothing anywhere changes.
            Refused(errorId, () => _t.Reopen().Set(new SetRequest("session", "after", "v") { Actor = "tester" }));
            Same(outside, Outside(), name + ": outside the store");
            Same(store, Snap(_t.Root), name + ": the store");

            // Test-EngramStore: an Error, and still nothing changed.
            var report = _t.Reopen().Verify();
            var f = Assert.Single(report.Findings, x => x.Kind == findingKind);
            Assert.Equal(FindingSeverity.Error, f.Severity);
            Assert.Equal(findingPath, f.Path);
            Assert.False(report.Healthy);
            Same(store, Snap(_t.Root), name + ": the store after Verify");

            // -Repair moves the record, untouched, into _quarantine; the store works again.
            var planted = store.Where(kv => kv.Key.StartsWith("_txn", StringComparison.Ordinal)).ToList();
            var repaired = _t.Reopen().Verify(repair: true);
            Assert.True(repaired.Findings.Single(x => x.Kind == findingKind).Repaired, name + ": not repaired");
            Same(outside, Outside(), name + ": outside the store after -Repair");
            Assert.False(Directory.Exists(findingPath) || File.Exists(findingPath), name + ": still in place");
            var after = Snap(_t.Root);
            var quarantined = Path.GetRelativePath(_t.Root, Path.Combine(_t.Root, "_quarantine", Path.GetFileName(findingPath)));
            foreach (var kv in planted)
            {
                var rel = Path.GetRelativePath(_t.Root, findingPath);
                if (!kv.Key.StartsWith(rel, StringComparison.Ordinal)) continue;
                var moved = quarantined + kv.Key.Substring(rel.Length);
                Assert.True(after.TryGetValue(moved, out var v) && v == kv.Value, $"{name}: '{kv.Key}' is not in quarantine as it was");
            }
            _t.Reopen().Set(new SetRequest("session", "after", "v") { Actor = "tester" });
            Assert.True(_t.Reopen().Verify().Healthy, name + ": not healthy after repair");
            Assert.Equal("v2", _t.Reopen().Get("shared", "k").Value);
            Same(outside, Outside(), name + ": outside the store at the end");
        }

        // ------------------------------------------------------------------ links at every level

        private void AssertLinkReported(string link, string name)
        {
            var outside = Outside();
            var report = _t.Reopen().Verify();
            var f = Assert.Single(report.Findings, x => x.Kind == "UnsafeStorePath" && x.Path == link);
            Assert.Equal(FindingSeverity.Error, f.Severity);
            Assert.False(report.Healthy);
            var repaired = _t.Reopen().Verify(repair: true);
            Assert.False(repaired.Healthy, name + ": a link cannot be repaired away");
            Same(outside, Outside(), name + ": outside the store after Verify -Repair");
        }

        private void AssertRefused(string link, string name, params Action<EngramStore>[] operations)
        {
            var outside = Outside();
            foreach (var op in operations)
            {
                var ex = Refused("UnsafeStorePath", () => op(_t.Reopen()));
                Assert.Contains(link, ex.Message);
                Same(outside, Outside(), name + ": outside the store");
            }
            AssertLinkReported(link, name);
        }

        private static void SetK(EngramStore s) => s.Set(new SetRequest("shared", "k", "through the link") { Actor = "tester" });

        [Fact]
        public void Link_NamespaceFolder()
        {
            var link = MoveOutAndLink("shared");
            if (link == "") return;
            AssertRefused(link, "namespace folder", SetK, s => s.Get("shared", "k"), s => s.Set(new SetRequest("shared", "new", 1) { Actor = "t" }),
                s => s.Remove("shared", "k"), s => _ = s.List("shared").ToList());
        }

        [Fact]
        public void Link_MemoryFile()
        {
            var link = MoveOutAndLink("shared", "k.yaml");
            if (link == "") return;
            AssertRefused(link, "memory file", SetK, s => s.Get("shared", "k"), s => s.Remove("shared", "k"),
                s => _ = s.List("shared").Select(s.Read).ToList());
        }

        [Fact]
        public void Link_DanglingMemoryFile()
        {
            var link = _t.P("session", "dangling.yaml");
            var target = Path.Combine(_outside, "created-through-link.yaml");
            if (!TryLink(link, target, false)) return;
            AssertRefused(link, "dangling memory file", s => s.Set(new SetRequest("session", "dangling", "x") { Actor = "t" }), s => s.Get("session", "dangling"));
            Assert.False(File.Exists(target));
        }

        [Fact]
        public void Link_ProvenanceFile()
        {
            var link = MoveOutAndLink("_provenance", "shared", "k.prov");
            if (link == "") return;
            var prov = _t.Reopen().VerifyProvenance("shared"); // Test-EngramProvenance: an Error, the link is not read
            Assert.Equal(FindingSeverity.Error, Assert.Single(prov.Findings, f => f.Kind == "UnsafeStorePath" && f.Path == link).Severity);
            AssertRefused(link, ".prov", SetK, s => _ = s.GetProvenance("shared", "k").ToList(), s => s.Remove("shared", "k"));
        }

        [Fact]
        public void Link_DanglingProvenanceFile_IsAnEngramError_NotFileNotFound()
        {
            _t.Set("shared", "d", "v1");
            var link = _t.P("_provenance", "shared", "d.prov");
            var target = Path.Combine(_outside, "created-through-link.prov");
            File.Delete(link);
            if (!TryLink(link, target, false)) return;
            AssertRefused(link, "dangling .prov", s => _ = s.GetProvenance("shared", "d").ToList(), s => s.Set(new SetRequest("shared", "d", "v2") { Actor = "t" }));
            Assert.False(File.Exists(target));
        }

        [Fact]
        public void Link_TempFolder_RepairDeletesNothingThroughIt()
        {
            var elsewhere = Path.Combine(_outside, "tmp");
            Directory.CreateDirectory(elsewhere);
            File.WriteAllText(Path.Combine(elsewhere, "precious.tmp"), "not a temp file of ours");
            Directory.Delete(_t.P("_tmp"), true);
            if (!TryLink(_t.P("_tmp"), elsewhere, true)) return;
            AssertRefused(_t.P("_tmp"), "_tmp", s => s.Set(new SetRequest("session", "u", "new") { Actor = "t" }));
            Assert.True(File.Exists(Path.Combine(elsewhere, "precious.tmp")));
        }

        [Fact]
        public void Link_ProvenanceRoot()
        {
            var link = MoveOutAndLink("_provenance");
            if (link == "") return;
            AssertRefused(link, "_provenance", SetK, s => _ = s.GetProvenance("shared", "k").ToList(), s => s.Optimize());
        }

        [Fact]
        public void Link_ProvenanceNamespaceFolder()
        {
            var link = MoveOutAndLink("_provenance", "shared");
            if (link == "") return;
            AssertRefused(link, "_provenance/<ns>", SetK, s => _ = s.GetProvenance("shared", "k").ToList(), s => s.GetHead("shared"));
        }

        [Fact]
        public void Link_BranchFolder()
        {
            var link = MoveOutAndLink("_branches", "shared", "b1");
            if (link == "") return;
            AssertRefused(link, "branch folder",
                s => s.Set(new SetRequest("shared", "k", "b") { Branch = "b1", Actor = "t" }),
                s => s.TryGet("shared", "k", "b1"),
                s => s.GetBranches("shared"),
                SetK); // a main-line write would keep the branch's merge base through the link
        }

        [Fact]
        public void Link_BranchesRoot()
        {
            var link = MoveOutAndLink("_branches");
            if (link == "") return;
            AssertRefused(link, "_branches", s => s.Fork("shared", "b2", null, "t"), s => s.GetBranches(), SetK);
        }

        [Fact]
        public void Link_DanglingLock_IsNotCreated()
        {
            var target = Path.Combine(_outside, "lock-created-through-link");
            File.Delete(_t.P("_lock"));
            if (!TryLink(_t.P("_lock"), target, false)) return;
            AssertRefused(_t.P("_lock"), "dangling _lock", SetK, s => s.Fork("shared", "b2", null, "t"));
            Assert.False(File.Exists(target));
        }

        [Fact]
        public void Link_LockToAnOutsideFile()
        {
            File.Delete(_t.P("_lock"));
            if (!TryLink(_t.P("_lock"), Path.Combine(_outside, "victim.txt"), false)) return;
            AssertRefused(_t.P("_lock"), "_lock", SetK);
        }

        [Fact]
        public void Link_StoreConfiguration()
        {
            var link = MoveOutAndLink("engram.yaml");
            if (link == "") return;
            var outside = Outside();
            foreach (var op in new Action<EngramStore>[] { s => s.Get("shared", "k"), SetK, s => s.Verify() })
                Assert.Contains(link, Refused("UnsafeStorePath", () => op(_t.Reopen())).Message);
            Same(outside, Outside(), "engram.yaml");
        }

        [Theory]
        [InlineData("name: ../../../outside", "name")]
        [InlineData("namespace: ../../outside", "namespace")]
        [InlineData("namespace: /tmp", "namespace")]
        public void PlantedBranchRecord_NamingAPathOutside_IsRefused(string line, string field)
        {
            var record = _t.P("_branches", "shared", "b1", "branch.yaml");
            var text = File.ReadAllLines(record).Select(l => l.StartsWith(field + ":", StringComparison.Ordinal) ? line : l);
            File.WriteAllLines(record, text);
            var outside = Outside();
            Refused("MalformedMemoryFile", () => _t.Reopen().GetBranches("shared"));
            Refused("MalformedMemoryFile", () => _ = _t.Reopen().Export().Branches.ToList());
            Assert.Contains(_t.Reopen().Verify().Findings, f => f.Kind == "MalformedBranch" && f.Severity == FindingSeverity.Error);
            Same(outside, Outside(), "branch record " + field);
        }

        [Fact]
        public void StoreRootItselfMayBeALink()
        {
            var alias = Path.Combine(_t.Parent, "alias");
            if (!TryLink(alias, _t.Root, true)) return;
            var s = new EngramStore(alias);
            int before = s.GetProvenance("shared", "k").Count();
            s.Set(new SetRequest("shared", "k", "v3") { Actor = "t" });
            Assert.Equal("v3", s.Get("shared", "k").Value);
            Assert.Equal(before + 1, s.GetProvenance("shared", "k").Count());
            Assert.True(s.Verify().Healthy);
        }
    }
}
