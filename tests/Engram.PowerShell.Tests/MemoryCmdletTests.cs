using System;
using System.Collections;
using System.Collections.Specialized;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Engram.Host;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>Set-, Get- and Remove-EngramMemory through PowerShell: typed values, pipeline binding, wildcards, errors.</summary>
    public sealed class MemoryCmdletTests : CmdletTestBase
    {
        public MemoryCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        [Fact]
        public void Values_round_trip_through_PowerShell_with_their_types()
        {
            EngramRunResult result = Ok("""
                $values = [ordered]@{
                    str     = 'hello'
                    int     = [int]42
                    long    = [long]42
                    big     = 9000000000
                    double  = [double]1.5
                    decimal = [decimal]'1.25'
                    bool    = $true
                    utc     = [datetime]::new(2024, 1, 2, 3, 4, 5, [DateTimeKind]::Utc).AddTicks(1234567)
                    local   = [datetime]::new(2024, 7, 2, 3, 4, 5, [DateTimeKind]::Local)
                    plain   = [datetime]::new(2024, 1, 2, 3, 4, 5)
                    array   = @(1, 'a', $null)
                    hash    = @{ x = 1; y = @{ z = 'q' } }
                    ordered = [ordered]@{ b = 2; a = 1; c = 3 }
                    object  = [pscustomobject]@{ a = [pscustomobject]@{ b = 'deep' }; n = 7 }
                    bytes   = [byte[]](0, 1, 2, 255)
                    nothing = $null
                }
                foreach ($k in $values.Keys) { Set-EngramMemory -Store $store -Namespace session -Key $k -Value $values[$k] }
                Get-EngramMemory -Store $store -Namespace session
                """);

            var byKey = result.Output.ToDictionary(m => (string)Prop(m, "Key")!, m => Prop(m, "Value"));
            Assert.Equal(16, byKey.Count);
            Assert.Equal("hello", Assert.IsType<string>(byKey["str"]));
            Assert.Equal(42, Assert.IsType<int>(byKey["int"]));
            Assert.Equal(42L, Assert.IsType<long>(byKey["long"]));
            Assert.Equal(9000000000L, Assert.IsType<long>(byKey["big"]));
            Assert.Equal(1.5, Assert.IsType<double>(byKey["double"]));
            Assert.Equal(1.25m, Assert.IsType<decimal>(byKey["decimal"]));
            Assert.True(Assert.IsType<bool>(byKey["bool"]));

            var utc = Assert.IsType<DateTime>(byKey["utc"]);
            Assert.Equal(DateTimeKind.Utc, utc.Kind);
            Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567).Ticks, utc.Ticks);
            var local = Assert.IsType<DateTime>(byKey["local"]);
            Assert.Equal(DateTimeKind.Local, local.Kind);
            Assert.Equal(new DateTime(2024, 7, 2, 3, 4, 5, DateTimeKind.Local).Ticks, local.Ticks);
            var plain = Assert.IsType<DateTime>(byKey["plain"]);
            Assert.Equal(DateTimeKind.Unspecified, plain.Kind);
            Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 5).Ticks, plain.Ticks);

            var array = Assert.IsType<object[]>(byKey["array"]);
            Assert.Equal(new object?[] { 1, "a", null }, array);

            var hash = Assert.IsType<Hashtable>(byKey["hash"]);
            Assert.Equal(1, hash["x"]);
            Assert.Equal("q", Assert.IsType<Hashtable>(hash["y"])["z"]);

            var ordered = Assert.IsType<OrderedDictionary>(byKey["ordered"]);
            Assert.Equal(new[] { "b", "a", "c" }, ordered.Keys.Cast<string>());
            Assert.Equal(new object[] { 2, 1, 3 }, ordered.Values.Cast<object>());

            var obj = Assert.IsType<PSObject>(byKey["object"]);
            Assert.IsType<PSCustomObject>(obj.BaseObject);
            Assert.Equal(7, obj.Properties["n"].Value);

            Assert.Equal(new byte[] { 0, 1, 2, 255 }, Assert.IsType<byte[]>(byKey["bytes"]));
            Assert.Null(byKey["nothing"]);

            // What a script relies on: dotting into objects, hashtable lookups (case-insensitive, like @{}), type tests.
            EngramRunResult dotted = Ok("""
                $o = (Get-EngramMemory -Store $store session object).Value
                $o.a.b
                $o -is [System.Management.Automation.PSCustomObject]
                $o.a -is [System.Management.Automation.PSCustomObject]
                (Get-EngramMemory -Store $store session hash).Value.Y.Z
                (Get-EngramMemory -Store $store session hash).Value['X']
                (Get-EngramMemory -Store $store session int).Value + 1
                ((Get-EngramMemory -Store $store session ordered).Value.Keys) -join ','
                """);
            Assert.Equal(new object?[] { "deep", true, true, "q", 1, 43, "b,a,c" }, dotted.BaseObjects);
        }

        [Fact]
        public void Strings_that_look_like_other_types_stay_strings()
        {
            string[] texts = { "42", "true", "null", "1.5", "~", "", " padded ", "multi\nline", "yes", "0x10", "2024-01-02", "- item", "a: b", "#x", "'q'" };
            EngramRunResult result = Ok("""
                $i = 0
                foreach ($t in $texts) { Set-EngramMemory -Store $store session ("s" + $i++) $t }
                for ($j = 0; $j -lt $texts.Count; $j++) { (Get-EngramMemory -Store $store session ("s" + $j)).Value }
                """, new System.Collections.Generic.Dictionary<string, object?> { ["texts"] = texts });

            Assert.All(result.BaseObjects, o => Assert.IsType<string>(o));
            Assert.Equal(texts, result.BaseObjects.Cast<string>());
            Assert.Contains("value: \"42\"", File.ReadAllText(StorePath("session", "s0.yaml")));
        }

        [Fact]
        public void Unstorable_values_are_refused_and_nothing_is_written()
        {
            EngramRunResult result = Run("""
                Set-EngramMemory -Store $store session proc ([System.IO.FileInfo]::new('x'))
                $h = @{}; $h.self = $h
                Set-EngramMemory -Store $store session loop $h
                'after'
                """);

            AssertErrorIds(result, "UnsupportedValueType", "ValueTooDeep");
            Assert.All(result.AllErrors, e => Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category));
            Assert.Equal(new object?[] { "after" }, result.BaseObjects);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Store)); // refused before the store was even created
        }

        [Fact]
        public void Pscustomobjects_bind_Key_Value_and_Tags_by_property_name()
        {
            Ok("""
                [pscustomobject]@{ Key = 'fact-1'; Value = 'water is wet' },
                [pscustomobject]@{ Key = 'fact-2'; Value = 42; Tags = @('num', 'answer') },
                [pscustomobject]@{ Name = 'fact-3'; Value = $true } |
                    Set-EngramMemory -Store $store -Namespace longterm -Reason 'import'
                """);

            EngramRunResult read = Ok("Get-EngramMemory -Store $store -Namespace longterm");
            var byKey = read.Output.ToDictionary(m => (string)Prop(m, "Key")!);
            Assert.Equal(new[] { "fact-1", "fact-2", "fact-3" }, byKey.Keys.OrderBy(k => k));
            Assert.Equal("water is wet", Prop(byKey["fact-1"], "Value"));
            Assert.Equal(42, Prop(byKey["fact-2"], "Value"));
            Assert.Equal(new[] { "num", "answer" }, Strings(Prop(byKey["fact-2"], "Tags")));
            Assert.Equal(true, Prop(byKey["fact-3"], "Value"));
            // longterm is tracked by default: each got a history, with the reason.
            Assert.Equal(new[] { "fact-1.prov", "fact-2.prov", "fact-3.prov" }, FileNames("_provenance", "longterm"));
            Assert.Equal("import", Scalar("(Get-EngramProvenance -Store $store longterm fact-2).Reason"));
        }

        [Fact]
        public void Get_piped_to_Set_copies_a_namespace_with_values_and_tags()
        {
            Ok("""
                Set-EngramMemory -Store $store a one 1 -Tag x
                Set-EngramMemory -Store $store a two @{ k = 'v' } -Tag y, z
                Set-EngramMemory -Store $store a three ([pscustomobject]@{ p = 1.5 })
                Get-EngramMemory -Store $store -Namespace a | Set-EngramMemory -Namespace b
                """);

            EngramRunResult copied = Ok("Get-EngramMemory -Store $store -Namespace b");
            var byKey = copied.Output.ToDictionary(m => (string)Prop(m, "Key")!);
            Assert.Equal(3, byKey.Count);
            Assert.All(copied.Output, m => Assert.Equal("b", Prop(m, "Namespace")));
            Assert.Equal(1, Prop(byKey["one"], "Value"));
            Assert.Equal(new[] { "x" }, Strings(Prop(byKey["one"], "Tags")));
            Assert.Equal("v", Assert.IsType<Hashtable>(Prop(byKey["two"], "Value"))["k"]);
            Assert.Equal(new[] { "y", "z" }, Strings(Prop(byKey["two"], "Tags")));
            Assert.Equal(1.5, ((PSObject)Prop(byKey["three"], "Value")!).Properties["p"].Value);
            Assert.Empty(Strings(Prop(byKey["three"], "Tags")));
            // The source is untouched.
            Assert.Equal(3, Ok("Get-EngramMemory -Store $store -Namespace a").Output.Count);
            Assert.Equal(new[] { "one.yaml", "three.yaml", "two.yaml" }, FileNames("b"));
        }

        [Fact]
        public void Get_piped_to_Remove_deletes_what_was_selected()
        {
            Ok("""
                Set-EngramMemory -Store $store session tmp-1 1
                Set-EngramMemory -Store $store session tmp-2 2
                Set-EngramMemory -Store $store session keep 3
                """);

            EngramRunResult removed = Ok("Get-EngramMemory -Store $store session tmp-* | Remove-EngramMemory -Confirm:$false");

            Assert.Empty(removed.Output);
            Assert.Equal(new[] { "keep.yaml" }, FileNames("session"));
            Assert.Equal(new object?[] { "keep" }, Ok("(Get-EngramMemory -Store $store session).Key").BaseObjects);
        }

        [Fact]
        public void Remove_by_wildcard_and_exact_key()
        {
            Ok("""
                Set-EngramMemory -Store $store session tmp-1 1
                Set-EngramMemory -Store $store session tmp-2 2
                Set-EngramMemory -Store $store session keep 3
                Set-EngramMemory -Store $store session other 4
                """);

            EngramRunResult result = Run("""
                Remove-EngramMemory -Store $store session tmp-*
                Remove-EngramMemory -Store $store session other, missing, nomatch*
                'after'
                """);

            SingleError(result, "MemoryNotFound", ErrorCategory.ObjectNotFound);
            Assert.Equal(new object?[] { "after" }, result.BaseObjects);
            Assert.Equal(new[] { "keep.yaml" }, FileNames("session"));
        }

        [Fact]
        public void Confirm_asks_per_memory_and_honours_the_answers()
        {
            Ok("""
                Set-EngramMemory -Store $store session a 1
                Set-EngramMemory -Store $store session b 2
                """);
            PS.UI.ScriptedInput.Enqueue("N");
            PS.UI.ScriptedInput.Enqueue("Y");

            AssertNoErrors(Run("Remove-EngramMemory -Store $store session a, b -Confirm"));

            Assert.Empty(PS.UI.ScriptedInput);
            Assert.Equal(new[] { "a.yaml" }, FileNames("session"));
        }

        [Fact]
        public void PassThru_emits_the_memory_as_written()
        {
            EngramRunResult quiet = Ok("Set-EngramMemory -Store $store session k 'v1'");
            Assert.Empty(quiet.Output);

            PSObject memory = Single("Set-EngramMemory -Store $store session k 'v2' -Tag t -PassThru");

            Assert.Equal("Engram.Memory", memory.TypeNames[0]);
            Assert.Equal("session", Prop(memory, "Namespace"));
            Assert.Equal("k", Prop(memory, "Key"));
            Assert.Equal("v2", Prop(memory, "Value"));
            Assert.Equal(2, Prop(memory, "Version"));
            Assert.Equal(new[] { "t" }, Strings(Prop(memory, "Tags")));
            Assert.Equal("main", Prop(memory, "Branch"));
            Assert.Equal(Store, Prop(memory, "Store"));
            Assert.Equal(32, Prop<string>(memory, "Id").Length);
            Assert.Equal(DateTimeKind.Local, Prop<DateTime>(memory, "Updated").Kind);
            Assert.True(Prop<DateTime>(memory, "Updated") >= Prop<DateTime>(memory, "Created"));
            Assert.Equal("Engram.Memory", Scalar("(Get-EngramMemory -Store $store session k).PSTypeNames[0]"));
        }

        [Fact]
        public void Tags_are_kept_when_omitted_and_replaced_when_given()
        {
            Ok("Set-EngramMemory -Store $store session k 1 -Tag a, b");
            Ok("Set-EngramMemory -Store $store session k 2");
            Assert.Equal("a,b", Scalar("(Get-EngramMemory -Store $store session k).Tags -join ','"));
            Ok("Set-EngramMemory -Store $store session k 2 -Tag c");
            Assert.Equal("c", Scalar("(Get-EngramMemory -Store $store session k).Tags -join ','"));
            Ok("Set-EngramMemory -Store $store session k 2 -Tag @()");
            Assert.Equal("", Scalar("(Get-EngramMemory -Store $store session k).Tags -join ','"));
            Assert.Equal(4, Scalar("(Get-EngramMemory -Store $store session k).Version")); // a tag change is a new version
        }

        [Fact]
        public void Wildcards_select_namespaces_and_keys()
        {
            Ok("""
                Set-EngramMemory -Store $store session alpha 1
                Set-EngramMemory -Store $store session beta 2
                Set-EngramMemory -Store $store shared alpha 3
                Set-EngramMemory -Store $store shared apple 4
                Set-EngramMemory -Store $store longterm alpha 5
                """);

            string[] Found(string args) =>
                Ok("Get-EngramMemory -Store $store " + args + " | ForEach-Object { $_.Namespace + '/' + $_.Key }")
                    .BaseObjects.Cast<string>().OrderBy(s => s, StringComparer.Ordinal).ToArray();

            Assert.Equal(new[] { "longterm/alpha", "session/alpha", "session/beta", "shared/alpha", "shared/apple" }, Found(""));
            Assert.Equal(new[] { "session/alpha", "session/beta", "shared/alpha", "shared/apple" }, Found("-Namespace s*"));
            Assert.Equal(new[] { "shared/alpha", "shared/apple" }, Found("-Namespace sh?red -Key a*"));
            Assert.Equal(new[] { "longterm/alpha", "session/alpha", "shared/alpha" }, Found("-Key alpha"));
            Assert.Equal(new[] { "session/beta", "shared/apple" }, Found("-Key b*, *ple"));
            Assert.Equal(new[] { "longterm/alpha", "session/alpha" }, Found("-Namespace LongTerm, SESSION -Key alpha")); // namespaces ignore case
            Assert.Empty(Found("-Key A*PLE")); // key patterns are case-sensitive, like keys
            Assert.Equal(new[] { "shared/apple" }, Found("-Key a*ple"));
            AssertErrorIds(Run("Get-EngramMemory -Store $store -Namespace session -Key ALPHA"), "MemoryNotFound"); // exact keys do not
        }

        [Fact]
        public void A_wildcard_that_matches_nothing_is_silent()
        {
            Ok("Set-EngramMemory -Store $store session alpha 1");

            EngramRunResult result = Run("""
                Get-EngramMemory -Store $store -Namespace nothing*
                Get-EngramMemory -Store $store -Namespace session -Key zz*
                Get-EngramMemory -Store $store -Namespace conversations -Key *
                Get-EngramMemory -Store $store -Key [xyz]*
                Remove-EngramMemory -Store $store session zz* -Confirm:$false
                """);

            AssertNoErrors(result);
            Assert.Empty(result.Output);
        }

        [Fact]
        public void A_missing_exact_key_is_a_non_terminating_MemoryNotFound_and_later_keys_still_come()
        {
            Ok("""
                Set-EngramMemory -Store $store session a 1
                Set-EngramMemory -Store $store session b 2
                """);

            EngramRunResult result = Run("Get-EngramMemory -Store $store -Namespace session -Key a, missing, b; 'after'");

            ErrorRecord error = SingleError(result, "MemoryNotFound", ErrorCategory.ObjectNotFound);
            Assert.Equal("missing", error.TargetObject);
            Assert.False(result.HadTerminatingError);
            Assert.Equal(new object?[] { "a", "b", "after" },
                result.Output.Select(o => o.BaseObject is string s ? s : Prop(o, "Key")).ToArray());

            // -ErrorAction Stop turns it into a terminating error a script can catch.
            EngramRunResult stopped = Ok("try { Get-EngramMemory -Store $store session missing -ErrorAction Stop; 'not here' } catch { $_.FullyQualifiedErrorId }");
            Assert.Equal(new object?[] { "MemoryNotFound,Engram.PowerShell.Commands.GetEngramMemoryCommand" }, stopped.BaseObjects);
        }

        [Fact]
        public void Tag_filter_selects_memories_with_a_matching_tag()
        {
            Ok("""
                Set-EngramMemory -Store $store session a 1 -Tag infra, web
                Set-EngramMemory -Store $store shared b 2 -Tag infra
                Set-EngramMemory -Store $store session c 3 -Tag db
                Set-EngramMemory -Store $store session d 4
                """);

            string[] Keys(string args) =>
                Ok("Get-EngramMemory -Store $store " + args + " | ForEach-Object Key").BaseObjects.Cast<string>().OrderBy(k => k).ToArray();

            Assert.Equal(new[] { "a", "b" }, Keys("-Tag infra"));
            Assert.Equal(new[] { "a" }, Keys("-Namespace session -Tag infra"));
            Assert.Equal(new[] { "a", "c" }, Keys("-Tag web, db"));
            Assert.Equal(new[] { "a", "b", "c" }, Keys("-Tag *"));
            Assert.Empty(Keys("-Tag nope"));
        }

        [Fact]
        public void Positional_parameters_work_like_the_README()
        {
            PSObject memory = Single("""
                Set-EngramMemory -Store $store shared config @{ port = 8080; hosts = @('web-1', 'web-2') } -Reason 'initial' -Tag infra
                Get-EngramMemory -Store $store shared config
                """);

            var value = Assert.IsType<Hashtable>(Prop(memory, "Value"));
            Assert.Equal(8080, value["port"]);
            Assert.Equal(new object[] { "web-1", "web-2" }, Assert.IsType<object[]>(value["hosts"]));
            Assert.Equal(8080, Scalar("(Get-EngramMemory -Store $store shared config).Value.port"));
        }

        [Fact]
        public void Empty_store_without_memories_reads_as_empty_after_Initialize()
        {
            Ok("Initialize-EngramStore -Store $store | Out-Null");
            EngramRunResult result = Run("Get-EngramMemory -Store $store");
            AssertNoErrors(result);
            Assert.Empty(result.Output);
        }
    }
}
