using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Engram.Host;
using Engram.Tests.Shared;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>
    /// Strict input and secrets at the cmdlet level: every failure carries an Engram error id (never a .NET type
    /// name), the API key never reaches an ErrorRecord, and values past maxValueBytes are refused.
    /// </summary>
    public sealed class StrictInputCmdletTests : CmdletTestBase
    {
        public StrictInputCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        [Fact]
        public void An_api_key_echoed_by_the_server_is_not_in_the_ErrorRecord()
        {
            string variable = "ENGRAM_TEST_" + Guid.NewGuid().ToString("N").ToUpperInvariant() + "_API_KEY";
            const string Key = "sk-do-not-leak-4b1f2e";
            using var server = new LoopbackEmbeddingServer(SynonymEmbedding.Embed) { EchoAuthorizationWithStatus = 401 };
            Ok("Set-EngramMemory -Store $store longterm garage 'the automobile needs new tyres'");
            Ok($"Set-EngramEmbedding -Store $store openai m -Endpoint '{server.BaseAddress}/v1' -ApiKeyVariable {variable}");
            try
            {
                EngramRunResult result = Run($"$env:{variable} = '{Key}'; Find-EngramMemory -Store $store car -Semantic");
                ErrorRecord error = SingleError(result, "EmbeddingFailed", ErrorCategory.InvalidOperation);
                Assert.Contains("Bearer " + Key, server.Authorizations); // it was sent, and echoed
                Assert.DoesNotContain(Key, error.ToString());
                Assert.DoesNotContain(Key, error.ErrorDetails?.Message ?? "");
                for (Exception? ex = error.Exception; ex != null; ex = ex.InnerException)
                {
                    Assert.DoesNotContain(Key, ex.Message);
                    Assert.DoesNotContain(Key, ex.ToString());
                }
                Assert.Contains("Bearer ***", error.Exception.Message);
            }
            finally
            {
                Environment.SetEnvironmentVariable(variable, null);
            }
        }

        [Fact]
        public void Set_EngramEmbedding_refuses_a_key_variable_outside_the_rule_and_a_plain_http_endpoint()
        {
            Ok("Set-EngramMemory -Store $store shared a 1");
            var before = Snapshot();
            ErrorRecord e = SingleError(Run("Set-EngramEmbedding -Store $store openai m -ApiKeyVariable ENGRAM_STORE"), "InvalidConfiguration", ErrorCategory.InvalidArgument);
            Assert.Contains("_API_KEY", e.Exception.Message);
            SingleError(Run("Set-EngramEmbedding -Store $store openai m -Endpoint http://gw.example.org/v1 -ApiKeyVariable OPENAI_API_KEY"), "InsecureEndpoint", ErrorCategory.InvalidArgument);
            AssertSameFiles(before, Snapshot());
            Ok("Set-EngramEmbedding -Store $store openai m -Endpoint https://gw.example.org/v1 -ApiKeyVariable OPENAI_API_KEY");
            Ok("Set-EngramEmbedding -Store $store openai m -Endpoint http://127.0.0.1:9/v1 -ApiKeyVariable OPENAI_API_KEY");
        }

        [Fact]
        public void A_misspelt_engram_yaml_key_is_an_error_naming_the_nearest_key()
        {
            Ok("Set-EngramMemory -Store $store shared a 1");
            File.AppendAllText(StorePath("engram.yaml"), "durabilty: full\n");
            ErrorRecord e = SingleError(Run("Get-EngramMemory -Store $store shared a"), "MalformedStoreConfig", ErrorCategory.InvalidData);
            Assert.Contains("unknown key 'durabilty'; did you mean 'durability'?", e.Exception.Message);
        }

        [Theory]
        [InlineData("Host=no-such-host.invalid;Username=x;Password=hunter2", "StoreUnavailable", ErrorCategory.ResourceUnavailable)]
        [InlineData("Host=127.0.0.1;Port=1;Username=x;Password=hunter2", "StoreUnavailable", ErrorCategory.ResourceUnavailable)]
        [InlineData("Host=127.0.0.1;Port=abc;Username=x;Password=hunter2", "InvalidStorePath", ErrorCategory.InvalidArgument)]
        [InlineData("postgres://x:hunter2@127.0.0.1:99999/db", "InvalidStorePath", ErrorCategory.InvalidArgument)]
        [InlineData("postgres://x:hunter2@127.0.0.1/db?bogus=1", "InvalidStorePath", ErrorCategory.InvalidArgument)]
        public void PostgreSQL_name_port_and_address_errors_carry_Engram_ids_and_never_the_password(string location, string id, ErrorCategory category)
        {
            foreach (var command in new[] { $"Get-EngramMemory -Store '{location}' shared x", $"Set-EngramMemory -Store '{location}' shared x 1" })
            {
                ErrorRecord e = SingleError(Run(command), id, category);
                Assert.DoesNotContain("hunter2", e.ToString());
                Assert.DoesNotContain("hunter2", e.Exception.Message);
                Assert.Contains(id == "StoreUnavailable" ? "postgres://x@" : "***", e.Exception.Message); // names the store
            }
        }

        [Theory]
        [InlineData("Remove-EngramMemory -Store $store session x -Confirm:$false")]
        [InlineData("Get-EngramMemory -Store $store session x")]
        [InlineData("Set-EngramMemory -Store $store session x 2")]
        public void An_unforeseen_failure_still_has_an_Engram_error_id(string command)
        {
            Ok("Set-EngramMemory -Store $store session a 1");
            Directory.CreateDirectory(StorePath("session", "x.yaml")); // a folder where a memory file belongs
            ErrorRecord e = SingleError(Run(command), "UnexpectedError", ErrorCategory.InvalidOperation);
            Assert.Contains("UnauthorizedAccessException", e.Exception.Message);
        }

        [Fact]
        public void A_value_past_maxValueBytes_is_ValueTooLarge_and_changes_nothing()
        {
            Ok("Initialize-EngramStore -Store $store -MaxValueBytes 1000");
            Assert.Contains("maxValueBytes: 1000", File.ReadAllText(StorePath("engram.yaml")));
            Ok("Set-EngramMemory -Store $store shared fits ('x' * 1000)");
            var before = Snapshot();
            ErrorRecord e = SingleError(Run("Set-EngramMemory -Store $store shared big ('x' * 1001)"), "ValueTooLarge", ErrorCategory.InvalidArgument);
            Assert.Contains("1,001", e.Exception.Message);
            Assert.Contains("1,000", e.Exception.Message);
            Assert.Contains("maxValueBytes", e.Exception.Message);
            SingleError(Run("Set-EngramMemory -Store $store shared fits ('y' * 1001)"), "ValueTooLarge", ErrorCategory.InvalidArgument);
            AssertSameFiles(before, Snapshot());

            // -Force keeps the limit unless it is given again.
            Ok("Initialize-EngramStore -Store $store -Force -TrackAll");
            Assert.Contains("maxValueBytes: 1000", File.ReadAllText(StorePath("engram.yaml")));
            Ok("Initialize-EngramStore -Store $store -Force -MaxValueBytes 5000");
            Ok("Set-EngramMemory -Store $store shared big ('x' * 1001)");
        }

        [Fact]
        public void Dictionary_keys_round_trip_exactly_or_are_refused()
        {
            Ok("""
                $h = [hashtable]::new([StringComparer]::Ordinal); $h['a'] = 1; $h['A'] = 2
                Set-EngramMemory -Store $store shared cs $h
                """);
            Assert.Equal(2, Scalar("(Get-EngramMemory -Store $store shared cs).Value.Count"));
            Assert.Equal(1, Scalar("(Get-EngramMemory -Store $store shared cs).Value['a']"));
            Assert.Equal(2, Scalar("(Get-EngramMemory -Store $store shared cs).Value['A']"));
            // Without keys that differ only in case, a hashtable reads back case-insensitive, as PowerShell's are.
            Ok("Set-EngramMemory -Store $store shared ci @{ Port = 1 }");
            Assert.Equal(1, Scalar("(Get-EngramMemory -Store $store shared ci).Value['port']"));

            var before = Snapshot();
            ErrorRecord e = SingleError(Run("$k = @{}; $k[1] = 'int'; $k['1'] = 'string'; Set-EngramMemory -Store $store shared k $k"), "InvalidValue", ErrorCategory.InvalidArgument);
            Assert.Contains("'1'", e.Exception.Message);
            Assert.Contains("[Int32]", e.Exception.Message);
            Assert.Contains("[String]", e.Exception.Message);
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void An_empty_or_digestless_anchor_is_InvalidAnchor()
        {
            Ok("Set-EngramMemory -Store $store shared a 1");
            ErrorRecord e = SingleError(Run("Test-EngramProvenance -Store $store shared -Anchor ([pscustomobject]@{ Namespace = 'shared'; Entries = @() })"), "InvalidAnchor", ErrorCategory.InvalidArgument);
            Assert.Contains("Digest", e.Exception.Message);
            SingleError(Run("Test-EngramProvenance -Store $store longterm -Anchor (Get-EngramProvenance -Store $store longterm -Head)"), "InvalidAnchor", ErrorCategory.InvalidArgument);
            EngramRunResult digestOnly = Run("""
                $empty = Get-EngramProvenance -Store $store longterm -Head
                Test-EngramProvenance -Store $store longterm -Anchor ([pscustomobject]@{ Namespace = 'longterm'; Digest = $empty.Digest; Entries = @() }) -Quiet
                """);
            SingleError(digestOnly, "InvalidAnchor", ErrorCategory.InvalidArgument);
            Assert.Empty(digestOnly.Output);
            Assert.Equal(true, Scalar("Test-EngramProvenance -Store $store shared -Anchor (Get-EngramProvenance -Store $store shared -Head) -Quiet"));
        }

        [Theory]
        [InlineData("$a.Entries[0].PSObject.Properties.Remove('Hash')", "Hash")]
        [InlineData("$a.Entries[0].Key = $null", "Key")]
        [InlineData("$a.Entries[0].Seq = 'abc'", "Seq")]
        [InlineData("$a.PSObject.Properties.Remove('Namespace')", "Namespace")]
        public void An_anchor_entry_without_key_hash_or_a_number_is_InvalidAnchor(string damage, string named)
        {
            // docs/errors.md: "an entry without key or hash" is InvalidAnchor. Before the fix a missing property was
            // InvalidConfiguration and a Seq that is not a number escaped as UnexpectedError (FormatException).
            Ok("Set-EngramMemory -Store $store shared a 1");
            ErrorRecord e = SingleError(Run($"""
                $a = Get-EngramProvenance -Store $store shared -Head | ConvertTo-Json -Depth 5 | ConvertFrom-Json
                {damage}
                Test-EngramProvenance -Store $store shared -Anchor $a
                """), "InvalidAnchor", ErrorCategory.InvalidArgument);
            Assert.Contains("'" + named + "'", e.Exception.Message);
        }
    }
}
