using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Engram.Host;
using Engram.Tests.Shared;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>Find-EngramMemory through PowerShell: ranked full-text hits, namespaces, -Top, errors, and -Semantic
    /// with a configured OpenAI-style endpoint served on loopback (the module's clients, loaded in its private load
    /// context, talking HTTP for real).</summary>
    public sealed class FindCmdletTests : CmdletTestBase
    {
        public FindCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        private static string[] Hits(EngramRunResult r) =>
            r.Output.Select(o => Prop(o, "Namespace") + "/" + Prop(o, "Key")).ToArray();

        private void Seed() => Ok("""
            Set-EngramMemory -Store $store shared deploy-target 'production cluster in eu-west'
            Set-EngramMemory -Store $store projects release-notes @{ summary = 'deploy moved to friday'; owner = 'ops' }
            Set-EngramMemory -Store $store session scratch 'nothing relevant here'
            Set-EngramMemory -Store $store longterm garage 'the automobile needs new tyres before winter'
            Set-EngramMemory -Store $store longterm home 'my cat sleeps all day on the sofa'
            Set-EngramMemory -Store $store projects kitchen 'pasta recipe with tomato and basil'
            """);

        [Fact]
        public void Find_returns_ranked_hits_that_pipe_into_the_memory_cmdlets()
        {
            Seed();
            EngramRunResult r = Ok("Find-EngramMemory -Store $store deploy");
            Assert.Equal(new[] { "shared/deploy-target", "projects/release-notes" }, Hits(r));
            PSObject first = r.Output[0], second = r.Output[1];
            Assert.Equal("Engram.SearchHit", first.TypeNames[0]);
            Assert.Equal(1, Prop<int>(first, "Rank"));
            Assert.Equal(2, Prop<int>(second, "Rank"));
            Assert.True(Prop<double>(first, "Score") > Prop<double>(second, "Score"));
            Assert.Equal("text", Prop<string>(first, "MatchedBy"));
            Assert.Equal("production cluster in eu-west", Prop<string>(first, "Value"));
            Assert.Equal(1, Prop<int>(first, "Version"));
            Assert.Equal(Store, Prop<string>(first, "Store"));
            Assert.Equal("ops", Scalar("(Find-EngramMemory -Store $store 'friday OPS').Value.owner")); // map keys and values, case-insensitive

            // A hit carries Namespace, Key and Store: it pipes into the other memory cmdlets.
            Assert.Equal("production cluster in eu-west", Scalar("(Find-EngramMemory -Store $store deploy -Top 1 | Get-EngramMemory).Value"));
            Assert.Single(Ok("Find-EngramMemory -Store $store 'cluster eu*' -Top 1 | Get-EngramProvenance").Output);
            Ok("Find-EngramMemory -Store $store scratch | Remove-EngramMemory");
            Assert.Empty(Ok("Find-EngramMemory -Store $store relevant").Output);
        }

        [Fact]
        public void Namespace_wildcards_pipeline_and_Top()
        {
            Seed();
            Assert.Equal(new[] { "shared/deploy-target" }, Hits(Ok("Find-EngramMemory -Store $store deploy -Namespace s*")));
            Assert.Equal(new[] { "projects/release-notes" }, Hits(Ok("Find-EngramMemory -Store $store deploy -Namespace PROJ*, nothing-*")));
            Assert.Equal(new[] { "shared/deploy-target" }, Hits(Ok("Find-EngramMemory -Store $store deploy -Top 1")));
            Assert.Empty(Ok("Find-EngramMemory -Store $store deploy -Namespace zz*").Output);
            Assert.Empty(Ok("Find-EngramMemory -Store $store deploy -Namespace does-not-exist").Output);

            // Namespaces piped in are searched together: the best N across them, not N per namespace.
            EngramRunResult piped = Ok("Get-EngramNamespace -Store $store | Where-Object { $_.Name -in 'shared', 'projects' } | Find-EngramMemory deploy -Top 1");
            Assert.Equal(new[] { "shared/deploy-target" }, Hits(piped));
            EngramRunResult both = Ok("Get-EngramNamespace -Store $store shared, projects | Find-EngramMemory deploy");
            Assert.Equal(new[] { "shared/deploy-target", "projects/release-notes" }, Hits(both));
        }

        [Fact]
        public void Errors_have_stable_ids()
        {
            SingleError(Run("Find-EngramMemory -Store $store deploy"), "StoreNotFound", ErrorCategory.ObjectNotFound);
            Assert.False(File.Exists(StorePath("engram.yaml")));
            Seed();
            var before = Snapshot();
            SingleError(Run("Find-EngramMemory -Store $store ''"), "InvalidSearchQuery", ErrorCategory.InvalidArgument);
            SingleError(Run("Find-EngramMemory -Store $store '   '"), "InvalidSearchQuery", ErrorCategory.InvalidArgument);
            SingleError(Run("Find-EngramMemory -Store $store '?!'"), "InvalidSearchQuery", ErrorCategory.InvalidArgument);
            SingleError(Run("Find-EngramMemory -Store $store ' ' -Semantic"), "InvalidSearchQuery", ErrorCategory.InvalidArgument);
            SingleError(Run("Find-EngramMemory -Store $store deploy -Namespace 'bad name!'"), "InvalidNamespace", ErrorCategory.InvalidArgument);
            AssertErrorIds(Run("Find-EngramMemory -Store $store deploy -Top 0"), "ParameterArgumentValidationError");
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void Semantic_without_configuration_says_how_to_configure()
        {
            Seed();
            var before = Snapshot();
            ErrorRecord error = SingleError(Run("Find-EngramMemory -Store $store 'where do we ship?' -Semantic"), "EmbeddingsNotConfigured", ErrorCategory.InvalidOperation);
            string message = error.Exception.Message;
            Assert.Contains("embeddings:\n  provider: ollama\n  endpoint: http://localhost:11434\n  model: nomic-embed-text", message);
            Assert.Contains("provider: openai", message);
            Assert.Contains("engram.yaml", message);
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void Semantic_search_end_to_end_with_a_configured_openai_compatible_endpoint()
        {
            Seed();
            using var server = new LoopbackEmbeddingServer(SynonymEmbedding.Embed);
            File.AppendAllText(StorePath("engram.yaml"),
                $"embeddings:\n  provider: openai\n  endpoint: {server.BaseAddress}/v1\n  model: fake-embed\n");

            EngramRunResult r = Ok("Find-EngramMemory -Store $store 'car repair and tire service' -Semantic -Top 3 -Verbose");
            Assert.Equal(3, r.Output.Count);
            Assert.Equal("longterm/garage", Hits(r)[0]);
            Assert.Equal("semantic", Prop<string>(r.Output[0], "MatchedBy"));
            Assert.InRange(Prop<double>(r.Output[0], "Score"), 0.2, 1.0);
            Assert.True(Prop<double>(r.Output[0], "Score") > Prop<double>(r.Output[1], "Score"));
            Assert.Contains(r.Verbose, v => v.Message.Contains("embedded 6 new or changed", StringComparison.Ordinal));
            Assert.True(File.Exists(StorePath("_vectors", "longterm.vec")));
            int requests = server.Requests;

            // The clients ran inside the module's private load context, from its Dependencies folder.
            EngramRunResult contexts = Ok("""
                $names = 'Engram.Embeddings', 'OpenAI', 'System.ClientModel', 'Microsoft.Extensions.AI.Abstractions', 'Microsoft.Extensions.AI.OpenAI'
                [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $names -contains $_.GetName().Name } |
                    ForEach-Object { $_.GetName().Name + '=' + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).GetType().Name }
                """);
            Assert.Equal(new[] { "Engram.Embeddings=EngramLoadContext", "Microsoft.Extensions.AI.Abstractions=EngramLoadContext", "Microsoft.Extensions.AI.OpenAI=EngramLoadContext",
                "OpenAI=EngramLoadContext", "System.ClientModel=EngramLoadContext" },
                contexts.Output.Select(o => o.BaseObject.ToString()!).OrderBy(n => n, StringComparer.Ordinal).ToArray());

            // Unchanged store: only the query is embedded, nothing is written.
            var before = Snapshot();
            EngramRunResult again = Ok("Find-EngramMemory -Store $store 'what is for dinner' -Semantic -Top 1 -Verbose");
            Assert.Equal(new[] { "projects/kitchen" }, Hits(again));
            Assert.Contains(again.Verbose, v => v.Message.Contains("embedded 0 new", StringComparison.Ordinal));
            Assert.Equal(requests + 1, server.Requests);
            AssertSameFiles(before, Snapshot());

            // -Namespace applies; a changed memory is embedded again.
            Ok("Set-EngramMemory -Store $store longterm home 'the dog chews the truck wheels'");
            EngramRunResult changed = Ok("Find-EngramMemory -Store $store vehicle -Semantic -Namespace long* -Verbose");
            Assert.Equal(new[] { "longterm/garage", "longterm/home" }, Hits(changed).OrderBy(h => h).ToArray());
            Assert.Contains(changed.Verbose, v => v.Message.Contains("embedded 1 new", StringComparison.Ordinal));

            // Vectors live outside the memories: the store stays healthy and full-text search is unaffected.
            Assert.True((bool)Scalar("(Test-EngramStore -Store $store).Healthy")!);
            Assert.Equal(new[] { "shared/deploy-target", "projects/release-notes" }, Hits(Ok("Find-EngramMemory -Store $store deploy")));
        }

        [Fact]
        public void Set_EngramEmbedding_configures_semantic_search_on_a_SQLite_store()
        {
            const string Db = "$db = 'sqlite:' + $testRoot + '/memories.db'\n";
            using var server = new LoopbackEmbeddingServer(SynonymEmbedding.Embed);
            Ok(Db + """
                Set-EngramMemory -Store $db longterm garage 'the automobile needs new tyres before winter'
                Set-EngramMemory -Store $db longterm home 'my cat sleeps all day on the sofa'
                """);

            Ok(Db + $"Set-EngramEmbedding -Store $db openai fake-embed -Endpoint '{server.BaseAddress}/v1' -WhatIf");
            SingleError(Run(Db + "Find-EngramMemory -Store $db tyres -Semantic"), "EmbeddingsNotConfigured", ErrorCategory.InvalidOperation);

            PSObject info = Single(Db + $"Set-EngramEmbedding -Store $db -Provider OpenAI -Model fake-embed -Endpoint '{server.BaseAddress}/v1' -PassThru");
            Assert.Equal($"openai fake-embed @ {server.BaseAddress}/v1", Prop(info, "Embeddings"));
            EngramRunResult hits = Ok(Db + "Find-EngramMemory -Store $db 'car repair and tire service' -Semantic -Top 1");
            Assert.Equal("longterm/garage", Assert.Single(Hits(hits)));

            SingleError(Run(Db + "Set-EngramEmbedding -Store $db ollama m -ApiKeyVariable 'A=B'"), "InvalidConfiguration", ErrorCategory.InvalidArgument);
            SingleError(Run(Db + "Set-EngramEmbedding -Store $db openai other -Endpoint 'ftp://x'"), "InvalidConfiguration", ErrorCategory.InvalidArgument);
            Assert.NotEmpty(Run(Db + "Set-EngramEmbedding -Store $db bert m").Errors); // not in the ValidateSet
            Assert.Single(Ok(Db + "Find-EngramMemory -Store $db tyres -Semantic -Top 1").Output); // still configured

            Assert.Null(Prop(Single(Db + "Set-EngramEmbedding -Store $db -Disable -Confirm:$false -PassThru"), "Embeddings"));
            SingleError(Run(Db + "Find-EngramMemory -Store $db tyres -Semantic"), "EmbeddingsNotConfigured", ErrorCategory.InvalidOperation);
        }

        [Fact]
        public void Semantic_search_with_an_unreachable_endpoint_is_EmbeddingFailed()
        {
            Seed();
            int port;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            File.AppendAllText(StorePath("engram.yaml"), $"embeddings:\n  provider: ollama\n  endpoint: http://127.0.0.1:{port}\n  model: m\n");
            SingleError(Run("Find-EngramMemory -Store $store anything -Semantic"), "EmbeddingFailed", ErrorCategory.InvalidOperation);
            Assert.False(Directory.Exists(StorePath("_vectors")));
        }

        [Fact]
        public void Hits_render_as_a_table_of_score_namespace_key_and_value()
        {
            Seed();
            EngramRunResult result = Run("Find-EngramMemory -Store $store deploy", outDefault: true);
            AssertNoErrors(result);
            string[] lines = result.HostText.Split('\n').Select(l => l.TrimEnd('\r', ' ')).Where(l => l.Length > 0).ToArray();
            string header = Assert.Single(lines, l => l.TrimStart().StartsWith("Score ", StringComparison.Ordinal));
            Assert.Equal(new[] { "Score", "Namespace", "Key", "Value" }, header.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.Matches(@"^\s*\d+\.\d{3}\s+shared\s+deploy-target\s+production cluster in eu-west$", Assert.Single(lines, l => l.Contains("deploy-target")));
            Assert.Matches(@"^\s*\d+\.\d{3}\s+projects\s+release-notes\s+@\{", Assert.Single(lines, l => l.Contains("release-notes")));
        }
    }

    /// <summary>
    /// Deterministic bag-of-words vectors for the loopback embedding server, with a small synonym table that gives
    /// them some "meaning" (car and automobile land on the same word).
    /// </summary>
    internal static class SynonymEmbedding
    {
        private const int Dimensions = 256;

        private static readonly Dictionary<string, string> Synonyms = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["car"] = "vehicle", ["automobile"] = "vehicle", ["cars"] = "vehicle", ["truck"] = "vehicle",
            ["tyres"] = "wheel", ["tires"] = "wheel", ["tire"] = "wheel", ["wheels"] = "wheel",
            ["maintenance"] = "repair", ["service"] = "repair", ["fix"] = "repair",
            ["cat"] = "pet", ["dog"] = "pet", ["kitten"] = "pet",
            ["pasta"] = "food", ["recipe"] = "food", ["tomato"] = "food", ["dinner"] = "food",
        };

        public static float[] Embed(string text)
        {
            var v = new float[Dimensions];
            foreach (Match m in Regex.Matches(text.ToLowerInvariant(), @"[\p{L}\p{N}]+"))
            {
                var w = Synonyms.TryGetValue(m.Value, out var s) ? s : m.Value;
                uint h = 2166136261;
                foreach (var c in w) h = (h ^ c) * 16777619;
                v[h % Dimensions] += 1;
            }
            return v;
        }
    }
}
