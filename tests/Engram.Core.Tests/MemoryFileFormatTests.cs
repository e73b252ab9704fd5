using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Xunit;

namespace Engram.Core.Tests
{
    /// <summary>
    /// The memory file's header fields <c>contentHash</c> and <c>valueBytes</c> (which let a writer skip the old value),
    /// and the literal-block fast path for long strings.
    /// </summary>
    public sealed class MemoryFileFormatTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public MemoryFileFormatTests() => CheckedWrite.WorkerDelay = () => System.Threading.Thread.Sleep(30); // large values: the hash is still pending when the file is written

        public void Dispose()
        {
            CheckedWrite.WorkerDelay = null;
            _t.Dispose();
        }

        private static readonly DateTime When = new DateTime(2026, 11, 24, 10, 0, 0, DateTimeKind.Utc);

        private static MemoryRecord Record(object? value) =>
            new MemoryRecord("0123456789abcdef0123456789abcdef", "notes", "k", value, new[] { "t1" }, 3, When, When);

        private static string RoundTrip(string s)
        {
            var text = MemoryFile.Serialize(Record(s));
            var back = MemoryFile.Parse(text, "notes", "test.yaml");
            Assert.Equal(s, Assert.IsType<string>(back.Value));
            Assert.Equal(3, back.Version);
            Assert.Equal(new[] { "t1" }, back.Tags);
            return text;
        }

        private static readonly string[] Pieces =
        {
            "word", " ", "  ", "\t", "\n", "\n\n", "#", ": ", "- ", "|", ">", "'", "\"", "---", "...", "*a", "&b", "!c", "%",
            "é", "日本", "😀", "\u00a0", "{", "}", "[", "]", "null", "42",
            "\r", "\r\n", "\u0085", "\u2028", "\ufeff", "\u0007",
        };
        private const int SafePieces = 29; // the pieces before "\r"

        [Fact]
        public void LongStrings_RoundTripExactly_ThroughTheMemoryFile()
        {
            var rnd = new Random(4242);
            int literal = 0, fastReads = 0;
            for (int n = 0; n < 3000; n++)
            {
                var sb = new StringBuilder();
                int target = LiteralBlock.MinLength + rnd.Next(400);
                int alphabet = n % 2 == 0 ? SafePieces : Pieces.Length; // half the strings are literal-safe
                while (sb.Length < target) sb.Append(Pieces[rnd.Next(alphabet)]);
                if (rnd.Next(4) == 0) sb.Insert(0, Pieces[rnd.Next(6)]); // leading white space or line feeds
                var text = RoundTrip(sb.ToString());
                if (LiteralBlock.IsSafe(sb.ToString())) literal++; // written by LiteralBlock (the emitter writes some literal blocks too)
                int at = text.IndexOf("\nvalue:", StringComparison.Ordinal) + 1;
                if (LiteralBlock.TryRead(text, at, out var fast)) // the reader without YamlDotNet agrees with YamlDotNet
                {
                    fastReads++;
                    Assert.Contains("\nvalue: |", text);
                    Assert.Equal(((EngramMap)ValueCodec.FromYaml(text.Substring(at))!)["value"], fast);
                }
            }
            Assert.True(literal > 100, $"only {literal} of 3000 took the literal path"); // the fast path is exercised
            Assert.Equal(literal, fastReads); // and every literal block it wrote reads back without YamlDotNet
        }

        [Theory]
        [InlineData("plain long text ", "|-\n")]
        [InlineData("line\n", "|\n")]
        public void LiteralHeader_CarriesChompingAndIndentation(string unit, string header)
        {
            var s = string.Concat(Enumerable.Repeat(unit, 40));
            var text = RoundTrip(s);
            Assert.Contains("\nvalue: " + header, text);
            foreach (var lead in new[] { " ", "\t", "\n ", "   \n" }) // a first line starting with white space: the emitter's
            {
                Assert.False(LiteralBlock.IsSafe(lead + s));
                RoundTrip(lead + s);
            }
            RoundTrip(s.TrimEnd('\n'));
            RoundTrip(s.TrimEnd('\n') + "\n");
            RoundTrip(s + "\n\n");
            RoundTrip("\n\n" + s);
            RoundTrip("   \n" + s);
        }

        [Fact]
        public void OneLinePlainValues_ReadWithoutTheParser_AgreeWithIt()
        {
            var rnd = new Random(11);
            const string Chars = "abcXYZ0189 -_.,;+*&!|>'\"%@`?=()[]{}~^$/\\<";
            int simple = 0;
            for (int n = 0; n < 20000; n++)
            {
                var sb = new StringBuilder();
                for (int i = rnd.Next(1, 14); i > 0; i--) sb.Append(Chars[rnd.Next(Chars.Length)]);
                var line = sb.ToString();
                if (!PlainYaml.IsSimpleLine(line, 0, line.Length)) continue;
                simple++;
                object? viaParser;
                viaParser = ((EngramMap)ValueCodec.FromYaml("value: " + line + "\n")!)["value"]; // every simple line is YAML
                var fast = ValueCodec.ReadPlain(line);
                Assert.Equal(viaParser, fast);
                Assert.Equal(viaParser?.GetType(), fast?.GetType());
            }
            Assert.True(simple > 1000, $"{simple} simple lines");

            foreach (var v in new object?[] { 0, -7, 2147483647, 3000000000L, 1.5, -0.25, 1e300, true, false, null, "hello world", "a;b", "x = y" })
            {
                var text = MemoryFile.Serialize(Record(v));
                var back = MemoryFile.Parse(text, "notes", "x").Value;
                Assert.Equal(v, back);
                Assert.Equal(v?.GetType(), back?.GetType());
            }
        }

        [Fact]
        public void AHandEditedLiteralBlock_IsReadByTheYamlParser()
        {
            var s = string.Join("\n", Enumerable.Range(0, 60).Select(i => "line " + i)) + "\n";
            var text = MemoryFile.Serialize(Record(s));
            Assert.Contains("\nvalue: |\n", text);
            Assert.Equal(s, MemoryFile.Parse(text.Replace("\n", "\r\n"), "notes", "x").Value);       // CRLF endings
            Assert.Equal(s.Replace("line 5\n", "line 5 # not a comment\n"),
                MemoryFile.Parse(text.Replace("  line 5\n", "  line 5 # not a comment\n"), "notes", "x").Value);
            Assert.Equal(s.Replace("line 7\n", "  line 7\n"),
                MemoryFile.Parse(text.Replace("  line 7\n", "    line 7\n"), "notes", "x").Value); // deeper indentation is content
            var ex = Assert.Throws<EngramException>(() => MemoryFile.Parse(text.Replace("  line 9\n", " line 9\n"), "notes", "x"));
            Assert.Equal(EngramErrorIds.MalformedMemoryFile, ex.ErrorId); // less indentation: not part of the block, and no valid YAML
        }

        [Theory]
        [InlineData("\r")]
        [InlineData("\u0085")]
        [InlineData("\u2028")]
        [InlineData("\ufeff")]
        [InlineData("\u0001")]
        [InlineData("\u009f")]
        public void LongStrings_WithCharactersALiteralCannotHold_GoThroughTheEmitter(string bad)
        {
            var s = new string('a', 300) + bad + new string('b', 300);
            Assert.False(LiteralBlock.IsSafe(s));
            var text = RoundTrip(s);
            Assert.DoesNotContain("\nvalue: |", text);
        }

        [Fact]
        public void IsSafe_AcceptsPairedSurrogates_AndRejectsLoneOnes_AtEveryPosition()
        {
            for (int at = 0; at < 70; at++)
            {
                var chars = new string('x', 80).ToCharArray().ToList();
                chars.InsertRange(at, "😀");
                Assert.True(LiteralBlock.IsSafe(new string(chars.ToArray())));
                chars.RemoveAt(at + 1); // the high surrogate alone
                Assert.False(LiteralBlock.IsSafe(new string(chars.ToArray())));
            }
        }

        public static TheoryData<object?> Values => new TheoryData<object?>
        {
            null, 42, "short", new string('z', 5000), string.Join("\n", Enumerable.Repeat("line", 200)),
            new EngramMap(MapKind.Ordered) { { "a", 1 }, { "b", new object?[] { "x", 2.5 } } }, new byte[] { 1, 2, 3 },
        };

        [Theory]
        [MemberData(nameof(Values))]
        public void Header_RecordsTheContentHash_AndTheValueSectionsSize(object? value)
        {
            var text = MemoryFile.Serialize(Record(value));
            var at = MemoryFile.FindValueLine(Encoding.UTF8.GetBytes(text), Encoding.UTF8.GetByteCount(text));
            var header = MemoryFile.ParseHeader(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text), 0, at), "notes", "x", out var hash, out var size);
            Assert.Equal(ValueCodec.ContentHash(value), hash);
            Assert.Equal(Encoding.UTF8.GetByteCount(text) - at, size);
            Assert.Equal(3, header.Version);
            Assert.Null(header.Value);
            Assert.StartsWith("value:", Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text), at, 6));
        }

        [Theory]
        [InlineData("")]
        [InlineData("ascii")]
        [InlineData("日本語 😀 e\u0301")]
        public void StringContentHash_IsTheHashOfTheCanonicalForm(string s)
        {
            var canonical = "s" + s.Length + ":" + s;
            var expected = "sha256:" + string.Concat(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
            Assert.Equal(expected, ValueCodec.ContentHash(s));
        }

        [Fact]
        public void StringContentHash_RefusesALoneSurrogate_NamingItsPosition()
        {
            var ex = Assert.Throws<EngramException>(() => ValueCodec.ContentHash("ab\uD800cd"));
            Assert.Equal(EngramErrorIds.UnsupportedValueType, ex.ErrorId);
            Assert.Contains("position 2", ex.Message);
        }

        [Fact]
        public void PlainHeaders_AreTheEmittersBytes_AndReadBackWithoutTheYamlParser()
        {
            var rnd = new Random(7);
            const string First = "abcXYZ019_", Rest = "abcXYZ019_-./:";
            string Word(bool flow)
            {
                var sb = new StringBuilder().Append(First[rnd.Next(First.Length)]);
                for (int i = rnd.Next(12); i > 0; i--) sb.Append(Rest[rnd.Next(flow ? Rest.Length - 1 : Rest.Length)]);
                return sb.ToString();
            }
            int plain = 0;
            for (int n = 0; n < 2000; n++)
            {
                var key = n % 7 == 0 ? new[] { "123", "true", "null", "1e5", "a: b", "-x", "x:", "é", "a b" }[n % 9] : Word(false);
                var tags = Enumerable.Range(0, rnd.Next(4)).Select(_ => n % 11 == 0 ? "t:x" : Word(true)).Distinct().ToArray();
                var m = new MemoryRecord("0123456789abcdef0123456789abcdef", "notes", key, "v", tags, 1 + rnd.Next(1000), When, When.AddSeconds(n), deleted: n % 13 == 0);
                var text = MemoryFile.Serialize(m);
                var header = text.Substring(0, text.IndexOf("\nvalue:", StringComparison.Ordinal) + 1);
                var viaYaml = MemoryFile.Parse(header + "value: v\n", "notes", "x");
                Assert.Equal(key, viaYaml.Key);
                Assert.Equal(tags, viaYaml.Tags);
                var fast = MemoryFile.TryParsePlainHeader(header, "notes", out var hash, out var size);
                bool expectPlain = PlainYaml.IsWord(key) && tags.All(t => PlainYaml.IsWord(t, flow: true));
                Assert.Equal(expectPlain, fast != null);
                if (fast == null) continue;
                plain++;
                Assert.Equal((key, m.Version, m.CreatedUtc, m.UpdatedUtc, m.Deleted), (fast.Key, fast.Version, fast.CreatedUtc, fast.UpdatedUtc, fast.Deleted));
                Assert.Equal(tags, fast.Tags);
                Assert.Equal(ValueCodec.ContentHash("v"), hash);
                Assert.Equal(Encoding.UTF8.GetByteCount(text) - Encoding.UTF8.GetByteCount(header), size);
            }
            Assert.True(plain > 1000, $"{plain} plain headers");
        }

        [Fact]
        public void APlainHeader_HasTheSameBytesAsTheEmittersHeader()
        {
            // The emitter's output for the same record, with a key that forces the emitter path kept out: compare the
            // plain header with a file whose key needed quotes, line by line apart from the key.
            var plain = MemoryFile.Serialize(new MemoryRecord("0123456789abcdef0123456789abcdef", "notes", "cfg/port", "v", new[] { "a", "b-c" }, 2, When, When));
            var quoted = MemoryFile.Serialize(new MemoryRecord("0123456789abcdef0123456789abcdef", "notes", "123", "v", new[] { "a", "b-c" }, 2, When, When));
            Assert.Equal(plain.Replace("key: cfg/port\n", "key: \"123\"\n"), quoted);
        }

        [Fact]
        public void EntryHeads_WrittenWithoutTheEmitter_ReadBackExactly()
        {
            var texts = new[] { "alice", "bench", "fixed the port", "say \"hi\"", "back\\slash", "é 日本 😀", " padded ", "a: b", "#x",
                "- item", "123", "true", "", "line\nbreak", "tab\there", "ctl\u0001", "x\u2028y", "'single'", "[a]", "{b}", "*c", "&d", "!e" };
            foreach (var actor in texts.Where(t => t.Length > 0))
                foreach (var reason in texts)
                {
                    var e = new ProvenanceEntry
                    {
                        Seq = 7, MemoryId = "0123456789abcdef0123456789abcdef", Namespace = "notes", Key = "k", Action = "revised", Actor = actor,
                        TimestampUtc = When, Branch = "main", Version = 3, Reason = reason.Length == 0 ? null : reason,
                        ContentHash = ValueCodec.ContentHash("v"), PrevHash = new string('a', 64), HasValue = true, Value = "v",
                    };
                    e.Hash = e.ComputeHash();
                    var back = ProvenanceLog.ParseDocumentText(ProvenanceLog.SerializeDocument(e), "test");
                    Assert.Equal((actor, e.Reason, 7L, 3, "v"), (back.Actor, back.Reason, back.Seq, back.Version, (string?)back.Value));
                    Assert.True(back.VerifyHash());
                }
        }

        [Fact]
        public void EntriesReadWithoutTheParser_AgreeWithTheParser()
        {
            var texts = new[] { "alice", "bench", "fixed the port", "say \"hi\"", "back\\slash", "é 日本", " padded ", "123", "line\nbreak", "t\tab" };
            var values = new object?[] { "v", 42, -1.5, true, null, "hello world", new string('x', 300), string.Join("\n", Enumerable.Repeat("row", 100)) + "\n",
                "a: b", "#x", new EngramMap(MapKind.Ordered) { { "a", 1 } }, new object?[] { 1, "two" }, " lead", "x\r\ny" };
            int fast = 0, n = 0;
            foreach (var actor in texts)
                foreach (var reason in texts.Concat(new string?[] { null }))
                    foreach (var value in values)
                    {
                        var e = new ProvenanceEntry
                        {
                            Seq = ++n, MemoryId = "0123456789abcdef0123456789abcdef", Namespace = "notes", Key = "k", Action = "revised", Actor = actor,
                            TimestampUtc = When.AddSeconds(n), Branch = "main", Version = 3, Reason = reason,
                            ContentHash = ValueCodec.ContentHash(value), PrevHash = new string('a', 64), HasValue = true, Value = value,
                        };
                        e.Hash = e.ComputeHash();
                        var text = ProvenanceLog.Serialize(e, 1000);
                        var viaParser = ProvenanceLog.ParseDocumentTextWithParser(text, "test");
                        Assert.Equal(viaParser.Hash, ProvenanceLog.ParseDocumentText(text, "test").Hash);
                        foreach (var withValues in new[] { true, false })
                        {
                            var plain = ProvenanceLog.TryParsePlain(text, withValues);
                            if (plain == null) continue;
                            fast++;
                            Assert.Equal((viaParser.Seq, viaParser.Actor, viaParser.Reason, viaParser.TimestampUtc, viaParser.Hash, viaParser.PrevHash, viaParser.ContentHash),
                                (plain.Seq, plain.Actor, plain.Reason, plain.TimestampUtc, plain.Hash, plain.PrevHash, plain.ContentHash));
                            Assert.Equal(withValues, plain.HasValue);
                            if (withValues) Assert.Equal(ValueCodec.ContentHash(viaParser.Value), ValueCodec.ContentHash(plain.Value));
                            Assert.True(plain.VerifyHash());
                        }
                    }
            Assert.True(fast > n / 2, $"{fast} of {2 * n} read without the parser");
        }

        // ------------------------------------------------------------------ writers and the header

        private string MemoryText(string ns, string key) => File.ReadAllText(_t.Store.MemoryPath(ns, key));

        [Fact]
        public void AHandEditThatChangesTheValuesLength_IsNoticed_BySet()
        {
            _t.Set("notes", "k", "original value");
            var path = _t.Store.MemoryPath("notes", "k");
            File.WriteAllText(path, MemoryText("notes", "k").Replace("original value", "edited by hand, longer"));

            var r = _t.Set("notes", "k", "original value");
            Assert.True(r.Changed); // the header's hash was not trusted: the file's value differs
            Assert.Equal(2, r.Memory.Version);
            Assert.Equal("original value", _t.Reopen().Get("notes", "k").Value);
        }

        [Fact]
        public void AHandEditThatChangesALargeValuesLength_IsSeenBySet()
        {
            var a = new string('A', EngramStore.TrustHeaderFrom);
            _t.Set("notes", "k", a);
            var path = _t.Store.MemoryPath("notes", "k");
            File.WriteAllText(path, MemoryText("notes", "k").Replace(a, a + "A")); // valueBytes no longer matches
            var r = _t.Set("notes", "k", a);
            Assert.True(r.Changed);
            Assert.Equal(a, _t.Reopen().Get("notes", "k").Value);
        }

        [Fact]
        public void AHandEditOfASmallValue_IsSeenBySet_EvenWhenItKeepsTheLength()
        {
            _t.Set("notes", "port", "8080");
            var path = _t.Store.MemoryPath("notes", "port");
            File.WriteAllText(path, MemoryText("notes", "port").Replace("\"8080\"", "\"9090\""));
            var r = _t.Set("notes", "port", "8080"); // the file says 9090: this is a change
            Assert.True(r.Changed);
            Assert.Equal(2, r.Memory.Version);
            Assert.Equal("8080", _t.Reopen().Get("notes", "port").Value);
        }

        [Fact]
        public void AHandEditOfALargeValueThatKeepsTheLength_IsReportedByVerify_AndRepairRewritesTheHeader()
        {
            var a = new string('A', EngramStore.TrustHeaderFrom);
            var b = new string('B', EngramStore.TrustHeaderFrom);
            _t.Set("notes", "k", a);
            var path = _t.Store.MemoryPath("notes", "k");
            File.WriteAllText(path, MemoryText("notes", "k").Replace(a, b));
            Assert.False(_t.Set("notes", "k", a).Changed); // writers trust a large file's header while its size matches

            var report = _t.Reopen().Verify();
            var f = Assert.Single(report.Findings, x => x.Kind == "StaleContentHash");
            Assert.Equal("k", f.Key);
            Assert.False(report.Healthy);

            var repaired = _t.Reopen().Verify(repair: true);
            Assert.True(Assert.Single(repaired.Findings, x => x.Kind == "StaleContentHash").Repaired);
            Assert.True(_t.Reopen().Verify().Healthy);
            Assert.Contains("contentHash: " + ValueCodec.ContentHash(b), MemoryText("notes", "k"));

            var r = _t.Set("notes", "k", a); // now seen as a change again
            Assert.True(r.Changed);
            Assert.Equal(2, r.Memory.Version);
        }

        [Fact]
        public void AFileWrittenBeforeTheHeaderFields_IsReadInFull_ByAWriter()
        {
            _t.Set("notes", "k", "seed"); // creates the store and the namespace
            var path = _t.Store.MemoryPath("notes", "k");
            File.WriteAllText(path,
                "engram: 1\nid: 0123456789abcdef0123456789abcdef\nkey: k\nversion: 4\ncreated: 2026-01-01T00:00:00.0000000Z\n" +
                "updated: 2026-01-01T00:00:00.0000000Z\ntags: [old]\nvalue: legacy\n");

            var same = _t.Set("notes", "k", "legacy");
            Assert.False(same.Changed);
            Assert.Equal(4, same.Memory.Version);
            Assert.DoesNotContain("contentHash", MemoryText("notes", "k")); // a no-op writes nothing

            var changed = _t.Set("notes", "k", "modern");
            Assert.Equal(5, changed.Memory.Version);
            Assert.Equal(new[] { "old" }, changed.Memory.Tags);
            Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), changed.Memory.CreatedUtc);
            Assert.Contains("contentHash: " + ValueCodec.ContentHash("modern"), MemoryText("notes", "k"));
            Assert.True(_t.Reopen().Verify().Healthy);
        }

        [Fact]
        public void TrackingAnUnchangedLargeValue_RecordsTheValueFromTheFile()
        {
            var big = string.Join("\n", Enumerable.Range(0, 5000).Select(i => "line " + i));
            _t.Set("notes", "big", big);
            var r = _t.Set("notes", "big", big, track: true); // unchanged: the history starts with the current value
            Assert.False(r.Changed);
            Assert.NotNull(r.Entry);
            var e = Assert.Single(_t.Reopen().GetProvenance("notes", "big"));
            Assert.Equal(big, e.Value);
            Assert.Equal(ValueCodec.ContentHash(big), e.ContentHash);
            Assert.True(_t.Reopen().Verify().Healthy);
        }

        // ------------------------------------------------------------------ large values: hashed while the file is written

        private static string Large(int seed) => seed + " " + string.Join("\n", Enumerable.Range(0, 12000).Select(i => "row " + (i * seed)));

        private string[] TempFiles() => Directory.Exists(_t.P("_tmp")) ? Directory.GetFiles(_t.P("_tmp")) : Array.Empty<string>();

        [Fact]
        public void ALargeValue_GetsItsRealHashInTheHeader_AndAnUnchangedRewriteIsANoOp()
        {
            var v = Large(3);
            Assert.True(v.Length >= EngramStore.OverlapHashingFrom);
            var first = _t.Set("notes", "big", v);
            Assert.Equal(ValueCodec.ContentHash(v), first.Memory.ContentHash);
            var text = MemoryText("notes", "big");
            Assert.Contains("\ncontentHash: " + ValueCodec.ContentHash(v) + "\n", text);
            Assert.DoesNotContain(MemoryFile.HashPlaceholder, text);

            var again = _t.Set("notes", "big", v);
            Assert.False(again.Changed);
            Assert.Equal(1, again.Memory.Version);
            Assert.Equal(text, MemoryText("notes", "big")); // a no-op writes nothing
            Assert.Empty(TempFiles()); // the speculative temp file was dropped
            _t.Reopen().Set(new SetRequest("notes", "big", "changed by another writer"));
            Assert.Equal(v, again.Memory.Value); // the unchanged result holds the value as it was at the write
            _t.Set("notes", "big", v);

            var changed = _t.Set("notes", "big", Large(5));
            Assert.True(changed.Changed);
            Assert.Equal(4, changed.Memory.Version);
            Assert.Equal(Large(5), _t.Reopen().Get("notes", "big").Value);
            Assert.True(_t.Reopen().Verify().Healthy);
        }

        [Theory]
        [InlineData("my key")]      // the emitter writes this header (not a plain word)
        [InlineData("Ключ/ü")]
        [InlineData("plain-key")]
        public void ALargeValue_GetsItsHashPatchedIn_WhicheverWayTheHeaderIsWritten(string key)
        {
            var r = _t.Set("notes", key, Large(3), tags: new[] { "a tag", "t" });
            var text = File.ReadAllText(_t.Store.MemoryPath("notes", key));
            Assert.Contains("\ncontentHash: " + ValueCodec.ContentHash(Large(3)) + "\n", text);
            Assert.Equal(Large(3), _t.Reopen().Get("notes", key).Value);
            Assert.False(_t.Set("notes", key, Large(3), tags: new[] { "a tag", "t" }).Changed);
            Assert.True(_t.Reopen().Verify().Healthy);
        }

        [Fact]
        public void ALargeTrackedValue_RecordsItsRealHash_InTheEntryAndTheChain()
        {
            _t.Set("notes", "big", Large(3), track: true);
            _t.Set("notes", "big", Large(4));
            var again = _t.Set("notes", "big", Large(4));
            Assert.False(again.Changed);
            Assert.Null(again.Entry);
            var history = _t.Reopen().GetProvenance("notes", "big").ToList();
            Assert.Equal(2, history.Count);
            Assert.Equal(ValueCodec.ContentHash(Large(4)), history[1].ContentHash);
            Assert.Equal(Large(4), history[1].Value);
            Assert.True(history.All(e => e.VerifyHash()));
            Assert.True(_t.Reopen().Verify().Healthy);
        }

        [Fact]
        public void StartingToTrackAnUnchangedLargeValue_RecordsItOnce()
        {
            _t.Set("notes", "big", Large(3));
            var r = _t.Set("notes", "big", Large(3), track: true);
            Assert.False(r.Changed);
            Assert.Equal(ProvenanceActions.Tracked, r.Entry!.Action);
            Assert.Equal(Large(3), Assert.Single(_t.Reopen().GetProvenance("notes", "big")).Value);
            Assert.Empty(TempFiles());
        }

        [Fact]
        public void ALargeValueWithALoneSurrogate_IsRefused_AndNothingIsWritten()
        {
            _t.Set("notes", "big", Large(3), track: true);
            var before = StoreSnapshot.Take(_t.Root);
            var bad = Large(4) + "\uD800" + Large(5);
            var ex = Assert.Throws<EngramException>(() => _t.Set("notes", "big", bad));
            Assert.Equal(EngramErrorIds.UnsupportedValueType, ex.ErrorId);
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(_t.Root), "after a refused large write");
        }

        [Fact]
        public void ALargeValue_IsStoredAsALiteralBlock_InTheMemoryFileAndItsHistory()
        {
            var big = string.Join("\n", Enumerable.Range(0, 100).Select(i => "line " + i)) + "\n";
            _t.Set("notes", "big", big, track: true);
            Assert.Contains("\nvalue: |\n  line 0\n  line 1\n", MemoryText("notes", "big"));
            var prov = File.ReadAllText(_t.Store.ProvenancePath("notes", "big"));
            Assert.Contains("\nvalue: |\n  line 0\n", prov);
            Assert.Equal(big, Assert.Single(_t.Reopen().GetProvenance("notes", "big")).Value);
            Assert.Equal(big, _t.Reopen().Get("notes", "big").Value);
        }
    }
}
