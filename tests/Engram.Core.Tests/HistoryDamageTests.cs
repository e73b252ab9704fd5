using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core;
using Engram.Core.Provenance;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    /// <summary>
    /// History that was damaged by hand (or by a tool) is refused and reported, never cut: writes leave every file
    /// byte-identical, -Repair changes nothing it cannot prove safe. Only an append that never finished is cut; a memory
    /// file that is lost or garbage is rebuilt from intact history.
    /// </summary>
    public class HistoryDamageTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private string ProvPath => _t.P("_provenance", "shared", "k.prov");
        private string MemPath => _t.P("shared", "k.yaml");

        private void ThreeVersions()
        {
            _t.Set("shared", "k", "v1");
            _t.Set("shared", "k", "v2");
            _t.Set("shared", "k", "v3");
        }

        /// <summary>The .prov text split into its entries, each with its trailer line.</summary>
        private List<string> Entries()
        {
            var text = File.ReadAllText(ProvPath);
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

        private void WriteProv(string text) => File.WriteAllBytes(ProvPath, Encoding.UTF8.GetBytes(text));

        /// <summary>Replaces field <paramref name="index"/> (0 = schema … 5 = hash) of the trailer of entry <paramref name="entry"/> (0-based).</summary>
        private void EditTrailer(int entry, int index, Func<string, string> edit)
        {
            var entries = Entries();
            var e = entries[entry];
            int at = e.IndexOf("\n#~ ", StringComparison.Ordinal) + 1;
            var parts = e.Substring(at + 3).TrimEnd('\n').Split(' ');
            parts[index] = edit(parts[index]);
            entries[entry] = e.Substring(0, at) + "#~ " + string.Join(" ", parts) + "\n";
            WriteProv(string.Concat(entries));
        }

        private void AssertWritesRefused()
        {
            var before = Snapshot(_t.Root);
            Throws(EngramErrorIds.MalformedProvenance, () => _t.Reopen().Set(new SetRequest("shared", "k", "v4") { Actor = "tester" }));
            Throws(EngramErrorIds.MalformedProvenance, () => _t.Reopen().Remove("shared", "k", "tester"));
            Throws(EngramErrorIds.MalformedProvenance, () => _t.Reopen().Restore("shared", "k", 1, "tester"));
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        private StoreReport AssertRepairChangesNothing(params string[] kinds)
        {
            var before = Snapshot(_t.Root);
            var report = _t.Reopen().Verify(repair: true);
            AssertUnchanged(before, Snapshot(_t.Root));
            Assert.False(report.Healthy);
            var found = report.Findings.Where(f => f.Key == "k").ToList();
            foreach (var kind in kinds) Assert.Contains(found, f => f.Kind == kind && f.Severity == FindingSeverity.Error);
            Assert.DoesNotContain(found, f => f.Repaired);
            Assert.DoesNotContain(found, f => f.Kind == "TornAppend" || f.Kind == "DanglingEntry");
            // The verifier without -Repair says the same.
            Assert.Equal(found.Select(f => f.Kind), _t.Reopen().Verify().Findings.Where(f => f.Key == "k").Select(f => f.Kind));
            return report;
        }

        // ------------------------------------------------------------------ the reproductions

        [Fact]
        public void RemovedMiddleEntry_TheWriteIsRefused_AndNeitherItNorRepairCutsTheFile()
        {
            ThreeVersions();
            var entries = Entries();
            WriteProv(entries[0] + entries[2]);
            long size = new FileInfo(ProvPath).Length;

            AssertWritesRefused(); // before the fix: refused after cutting the file to entry 1's end
            Assert.Equal(size, new FileInfo(ProvPath).Length);
            AssertRepairChangesNothing("TrailerMismatch", "SequenceGap"); // before: TornAppend, cut
            Assert.Equal(size, new FileInfo(ProvPath).Length);
        }

        [Fact]
        public void LastTrailerVersionEdited_IsAFinding_AndTheRealEntryIsNeverCut()
        {
            ThreeVersions();
            EditTrailer(2, 2, v => "4");
            // Before the fix the store verified healthy, and the next Set cut entry 3 as a dangling write.
            AssertRepairChangesNothing("TrailerMismatch");
            AssertWritesRefused();
        }

        [Fact]
        public void VersionGap_InAVerifyingChain_IsAFinding()
        {
            // v1, v2, v4 with every hash recomputed: the chain verifies, the versions do not.
            ThreeVersions();
            var store = _t.Store;
            var hist = store.GetProvenance("shared", "k").ToList();
            var forged = new List<ProvenanceEntry>();
            string? prev = null;
            long offset = 0;
            var sb = new StringBuilder();
            foreach (var e in hist)
            {
                if (e.Seq == 3) e.Version = 4;
                e.PrevHash = prev;
                e.Hash = e.ComputeHash();
                prev = e.Hash;
                var text = ProvenanceLog.Serialize(e, offset);
                offset += Encoding.UTF8.GetByteCount(text);
                sb.Append(text);
            }
            WriteProv(sb.ToString());
            File.WriteAllText(MemPath, File.ReadAllText(MemPath).Replace("\nversion: 3\n", "\nversion: 4\n"));
            AssertRepairChangesNothing("VersionGap");
        }

        // ------------------------------------------------------------------ planted damage

        public static TheoryData<string, string[]> PlantedCases => new TheoryData<string, string[]>
        {
            { "trailer-version", new[] { "TrailerMismatch" } },
            { "trailer-seq", new[] { "TrailerMismatch" } },
            { "trailer-hash", new[] { "TrailerMismatch" } },
            { "trailer-offset-back", new[] { "TrailerMismatch" } },
            { "trailer-offset-zero", new[] { "TrailerMismatch" } },
            { "trailer-offset-past-end", new[] { "TrailerMismatch" } },
            { "trailer-action", new[] { "TrailerMismatch" } },
            { "trailer-garbled", new[] { "TrailerMismatch" } },
            { "removed-middle", new[] { "TrailerMismatch", "SequenceGap" } },
            { "removed-first", new[] { "TrailerMismatch", "SequenceGap" } },
            { "reordered", new[] { "TrailerMismatch", "SequenceGap" } },
            { "duplicated-last", new[] { "TrailerMismatch", "SequenceGap" } },
            { "duplicated-middle", new[] { "TrailerMismatch", "SequenceGap" } },
            { "last-hash-does-not-verify", new[] { "BrokenChain" } },
            { "garbage-after-last", new[] { "MalformedProvenance" } },
        };

        private void Plant(string damage)
        {
            var entries = Entries();
            switch (damage)
            {
                case "trailer-version": EditTrailer(2, 2, v => "4"); break;
                case "trailer-seq": EditTrailer(2, 1, v => "4"); break;
                case "trailer-hash": EditTrailer(2, 5, h => new string('0', h.Length)); break;
                case "trailer-offset-back": EditTrailer(2, 4, o => (long.Parse(o, CultureInfo.InvariantCulture) - 1).ToString(CultureInfo.InvariantCulture)); break;
                case "trailer-offset-zero": EditTrailer(2, 4, o => "0"); break;
                case "trailer-offset-past-end": EditTrailer(2, 4, o => "99999"); break;
                case "trailer-action": EditTrailer(2, 3, a => "created"); break;
                case "trailer-garbled": EditTrailer(2, 2, v => "x"); break;
                case "removed-middle": WriteProv(entries[0] + entries[2]); break;
                case "removed-first": WriteProv(entries[1] + entries[2]); break;
                case "reordered": WriteProv(entries[0] + entries[2] + entries[1]); break;
                case "duplicated-last": WriteProv(entries[0] + entries[1] + entries[2] + entries[2]); break;
                case "duplicated-middle": WriteProv(entries[0] + entries[1] + entries[1] + entries[2]); break;
                case "last-hash-does-not-verify": WriteProv(entries[0] + entries[1] + entries[2].Replace("actor: tester\n", "actor: mallory\n")); break;
                case "garbage-after-last": WriteProv(string.Concat(entries) + "not an entry\n"); break;
                default: throw new ArgumentException(damage);
            }
        }

        [Theory]
        [MemberData(nameof(PlantedCases))]
        public void PlantedDamage_IsRefusedByWriters_AndReportedButNotTouchedByRepair(string damage, string[] kinds)
        {
            ThreeVersions();
            Plant(damage);
            AssertWritesRefused();
            AssertRepairChangesNothing(kinds);
            // Readers do not present damaged history as if it were whole.
            Throws(EngramErrorIds.MalformedProvenance, () => _t.Reopen().GetProvenance("shared", "k").ToList());
        }

        public static TheoryData<string, string> PlantedInnerCases => new TheoryData<string, string>
        {
            { "inner-trailer-version", "TrailerMismatch" },
            { "inner-trailer-offset", "TrailerMismatch" },
            { "inner-hash-does-not-verify", "BrokenChain" },
        };

        [Theory]
        [MemberData(nameof(PlantedInnerCases))]
        public void PlantedDamageInsideTheHistory_IsReported_AndRepairChangesNothing(string damage, string kind)
        {
            ThreeVersions();
            var entries = Entries();
            if (damage == "inner-trailer-version") EditTrailer(1, 2, v => "7");
            else if (damage == "inner-trailer-offset") EditTrailer(1, 4, o => (long.Parse(o, CultureInfo.InvariantCulture) + 2).ToString(CultureInfo.InvariantCulture));
            else WriteProv(entries[0] + entries[1].Replace("actor: tester\n", "actor: mallory\n") + entries[2]);
            AssertRepairChangesNothing(kind);
        }

        // ------------------------------------------------------------------ torn appends: cut at every offset

        [Fact]
        public void TruncatedAtEveryOffsetOfTheLastTwoEntries_RecoveryKeepsExactlyTheCompleteEntries()
        {
            _t.Set("shared", "k", "v1");
            _t.Set("shared", "k", "v2");
            var memAfter = new Dictionary<int, byte[]> { [2] = File.ReadAllBytes(MemPath) };
            _t.Set("shared", "k", "a value\nover three\nlines");
            memAfter[3] = File.ReadAllBytes(MemPath);
            _t.Set("shared", "k", new Engram.Core.Values.EngramMap { { "port", 8080 }, { "hosts", new object[] { "web-1", "web-2" } } });
            var full = File.ReadAllBytes(ProvPath);
            var ends = new List<long>(); // end offset of each entry
            long at = 0;
            foreach (var e in Entries()) { at += Encoding.UTF8.GetByteCount(e); ends.Add(at); }
            Assert.Equal(4, ends.Count);
            Assert.Equal(full.Length, ends[3]);
            long from = ends[1]; // the last two entries occupy [ends[1], ends[3])

            int offsets = 0;
            for (long cut = from; cut < full.Length; cut++)
            {
                offsets++;
                int complete = ends.Count(e => e <= cut);
                long keep = ends[complete - 1];
                var prefix = full.Take((int)keep).ToArray();
                void Plant()
                {
                    File.WriteAllBytes(ProvPath, full.Take((int)cut).ToArray());
                    File.WriteAllBytes(MemPath, memAfter[complete]); // the crash happened before the file was replaced
                }

                // Readers see exactly the complete entries.
                Plant();
                Assert.Equal(complete, _t.Reopen().GetProvenance("shared", "k").Count());

                // -Repair cuts the torn bytes and nothing else.
                var report = _t.Reopen().Verify(repair: true);
                Assert.True(report.Healthy, $"cut at {cut}: " + string.Join("; ", report.Findings.Select(f => f.Kind + " " + f.Message)));
                Assert.Equal(prefix, File.ReadAllBytes(ProvPath));
                Assert.Equal(cut == keep ? 0 : 1, report.Findings.Count(f => f.Kind == "TornAppend" && f.Repaired));

                // The next write's recovery does the same, then continues the chain.
                Plant();
                var r = _t.Reopen().Set(new SetRequest("shared", "k", "after " + cut) { Actor = "tester" });
                Assert.Equal(complete + 1, r.Entry!.Seq);
                Assert.Equal(prefix, File.ReadAllBytes(ProvPath).Take(prefix.Length).ToArray());
                var hist = _t.Store.GetProvenance("shared", "k").ToList();
                Assert.Equal(complete + 1, hist.Count);
                AssertChain(hist);
            }
            Assert.Equal(full.Length - from, offsets);
            Assert.True(offsets > 500, $"only {offsets} offsets");
        }

        [Fact]
        public void LastTrailerLineRemoved_WhileTheMemoryFileHoldsThatEntry_RepairDoesNotCutTheEntry()
        {
            // The memory file is at version 3, so the write of entry 3 finished (the file is replaced only after the
            // append): the entry without its trailer line is damage, not an append that never finished. Before the
            // fix -Repair reported it as TornAppend and cut the complete entry, leaving a history (v1, v2) that no
            // longer matches the memory file.
            ThreeVersions();
            var entries = Entries();
            var last = entries[2];
            WriteProv(entries[0] + entries[1] + last.Substring(0, last.IndexOf("#~ ", StringComparison.Ordinal)));
            var before = Snapshot(_t.Root);
            Throws(EngramErrorIds.MalformedProvenance, () => _t.Reopen().Set(new SetRequest("shared", "k", "v4") { Actor = "tester" }));
            var report = _t.Reopen().Verify(repair: true);
            AssertUnchanged(before, Snapshot(_t.Root));
            Assert.False(report.Healthy);
            Assert.DoesNotContain(report.Findings, f => f.Repaired);
            Assert.Contains(report.Findings, f => f.Kind == "HistoryMismatch" && f.Severity == FindingSeverity.Error);
        }

        [Fact]
        public void MemoryFileHoldingAnotherKey_IsLeftAsItIs_AndTheFindingSaysWhatToDo()
        {
            ThreeVersions();
            File.WriteAllText(MemPath, File.ReadAllText(MemPath).Replace("key: k\n", "key: other\n"));
            var before = Snapshot(_t.Root);
            var report = _t.Reopen().Verify(repair: true);
            // Only the search index, which still held the memory as it was, is rebuilt (the scan leaves a broken file out).
            AssertUnchanged(WithoutSearchIndex(before), WithoutSearchIndex(Snapshot(_t.Root)));
            Assert.True(Assert.Single(report.Findings, x => x.Kind == "SearchIndexMismatch").Repaired); // its last record names a file that does not parse
            var f = Assert.Single(report.Findings, x => x.Kind == "MalformedMemory");
            Assert.False(f.Repaired);
            // Before: "… holds key 'other', which belongs in another file." and nothing about what to do.
            Assert.Contains("move it to 'other.yaml'", f.Message);
            Assert.Contains("delete it", f.Message);
        }

        // ------------------------------------------------------------------ a lost or damaged memory file

        [Fact]
        public void DeletedMemoryFile_HistoryStaysReadable_AndRestoreWorksFromIt()
        {
            ThreeVersions();
            File.Delete(MemPath);
            Throws(EngramErrorIds.MemoryNotFound, () => _t.Reopen().Get("shared", "k"));
            var hist = _t.Reopen().GetProvenance("shared", "k").ToList();
            Assert.Equal(new object[] { "v1", "v2", "v3" }, hist.Select(e => e.Value)); // before the fix: nothing
            Assert.Equal(new long[] { 2, 3 }, _t.Reopen().GetProvenance("shared", "k", last: 2).Select(e => e.Seq));
            Assert.Equal("v2", _t.Reopen().GetVersion("shared", "k", 2).Value);

            var r = _t.Reopen().Restore("shared", "k", 2, "tester"); // before: "no history entry holds that version's value"
            Assert.Equal(4, r.Memory.Version);
            Assert.Equal("v2", _t.Reopen().Get("shared", "k").Value);
            hist = _t.Reopen().GetProvenance("shared", "k").ToList();
            Assert.Equal(new[] { "created", "revised", "revised", "restored" }, hist.Select(e => e.Action));
            AssertChain(hist);
            Assert.True(_t.Reopen().Verify().Healthy);
        }

        [Theory]
        [InlineData("deleted")]
        [InlineData("garbage")]
        public void MissingOrMalformedMemoryFile_IsRebuiltFromHistory_WithARepairedEntry(string damage)
        {
            ThreeVersions();
            var good = File.ReadAllBytes(MemPath);
            if (damage == "deleted") File.Delete(MemPath);
            else File.WriteAllBytes(MemPath, new byte[] { 0x00, 0xff, 0x13, (byte)'{', (byte)':', 0x80, (byte)'\n' });
            var kind = damage == "deleted" ? "MissingMemory" : "MalformedMemory";

            var before = Snapshot(_t.Root);
            var check = _t.Reopen().Verify();
            var finding = Assert.Single(check.Findings, f => f.Key == "k");
            Assert.Equal(kind, finding.Kind);
            Assert.Contains("rebuilds it from entry 3", finding.Message);
            AssertUnchanged(before, Snapshot(_t.Root));
            Assert.Equal(3, _t.Reopen().GetProvenance("shared", "k").Count()); // history readable meanwhile

            var report = _t.Reopen().Verify(repair: true);
            finding = Assert.Single(report.Findings, f => f.Key == "k");
            Assert.Equal(kind, finding.Kind);
            Assert.True(finding.Repaired); // before the fix: False
            Assert.True(report.Healthy);

            var m = _t.Reopen().Get("shared", "k");
            Assert.Equal("v3", m.Value);
            Assert.Equal(3, m.Version);
            var hist = _t.Reopen().GetProvenance("shared", "k").ToList();
            Assert.Equal(new[] { "created", "revised", "revised", "repaired" }, hist.Select(e => e.Action));
            Assert.Equal(3, hist[3].Version);
            Assert.Equal(hist[2].ContentHash, hist[3].ContentHash);
            AssertChain(hist);
            var after = _t.Reopen().Verify();
            Assert.True(after.Healthy, string.Join("; ", after.Findings.Select(f => f.Message)));
            Assert.Empty(after.Findings);
            // Ordinary writes continue.
            Assert.Equal(4, _t.Reopen().Set(new SetRequest("shared", "k", "v4") { Actor = "tester" }).Memory.Version);
            Assert.NotEqual(good, File.ReadAllBytes(MemPath));
        }

        [Fact]
        public void MissingMemoryFile_WhoseValueRetentionFreed_IsReportedWithWhatToDo()
        {
            ThreeVersions();
            // Free the last entry's value by hand (retention frees values the same way; contentHash still pins it).
            var entries = Entries();
            var last = entries[2];
            int v = last.IndexOf("value: v3\n", StringComparison.Ordinal);
            var rest = last.Substring(v + "value: v3\n".Length);
            WriteProv(entries[0] + entries[1] + last.Substring(0, v) + rest);
            File.Delete(MemPath);
            var before = Snapshot(_t.Root);
            var report = _t.Reopen().Verify(repair: true);
            var finding = Assert.Single(report.Findings, f => f.Key == "k");
            Assert.Equal("MissingMemory", finding.Kind);
            Assert.False(finding.Repaired);
            Assert.Contains("cannot be rebuilt", finding.Message);
            Assert.Contains("Set-EngramMemory", finding.Message);
            // Only the search index, which still held the deleted memory, is rebuilt.
            AssertUnchanged(WithoutSearchIndex(before), WithoutSearchIndex(Snapshot(_t.Root)));
            Assert.True(Assert.Single(report.Findings, x => x.Kind == "DanglingIndexRecord").Repaired);
        }
    }
}
