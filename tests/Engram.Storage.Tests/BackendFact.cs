using System;
using System.Collections.Generic;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Engram.Storage.Tests
{
    /// <summary>Marks a contract class whose store lives in the test process only (the in-memory engine): its tests
    /// marked <see cref="SeveralProcessesAttribute"/> are skipped, with the reason.</summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = true)]
    public sealed class InProcessOnlyAttribute : Attribute { }

    /// <summary>Marks a contract test that opens the store from other processes.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class SeveralProcessesAttribute : Attribute { }

    /// <summary>Marks a test class whose tests need a PostgreSQL server (see <see cref="PostgresGate"/>).</summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = true)]
    public sealed class RequiresPostgresAttribute : Attribute { }

    /// <summary>
    /// A [Fact] that is skipped, with the reason, when its class is marked <see cref="RequiresPostgresAttribute"/> and no
    /// PostgreSQL server is available — unless PostgreSQL is required (CI=true or ENGRAM_REQUIRE_POSTGRES=1): then it
    /// runs, and fails with <see cref="PostgresServer.UnavailableReason"/>. The decision is taken per test class at
    /// discovery, so the contract's tests can be declared once, in an abstract class, for every backend.
    /// </summary>
    [XunitTestCaseDiscoverer("Engram.Storage.Tests.BackendFactDiscoverer", "Engram.Storage.Tests")]
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
    public sealed class BackendFactAttribute : FactAttribute { }

    public sealed class BackendFactDiscoverer : FactDiscoverer
    {
        public BackendFactDiscoverer(IMessageSink diagnosticMessageSink) : base(diagnosticMessageSink) { }

        public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
        {
            var type = testMethod.TestClass.Class.ToRuntimeType();
            var reason = type != null && Attribute.IsDefined(type, typeof(RequiresPostgresAttribute), inherit: true) ? PostgresGate.SkipReason : null;
            if (reason == null && type != null && Attribute.IsDefined(type, typeof(InProcessOnlyAttribute), inherit: true)
                && testMethod.Method.GetCustomAttributes(typeof(SeveralProcessesAttribute)).GetEnumerator().MoveNext())
                reason = "the in-memory store lives in this test process only: other processes cannot open it";
            if (reason == null) return base.Discover(discoveryOptions, testMethod, factAttribute);
            return new IXunitTestCase[]
            {
                new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                    discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason),
            };
        }
    }

    /// <summary>Whether the PostgreSQL tests run, are skipped, or must fail because the server is missing.</summary>
    public static class PostgresGate
    {
        /// <summary>In CI (CI=true) or with ENGRAM_REQUIRE_POSTGRES=1 a missing server is a failure, never a skip.</summary>
        public static bool Required =>
            Environment.GetEnvironmentVariable("ENGRAM_REQUIRE_POSTGRES") == "1"
            || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

        private static readonly Lazy<(bool available, string reason)> State = new Lazy<(bool, string)>(() =>
        {
            try
            {
                if (PostgresServer.Available) return (true, "");
                var why = PostgresServer.UnavailableReason;
                return (false, string.IsNullOrWhiteSpace(why) ? "no reason given" : why);
            }
            catch (Exception ex) // the server helper promises not to throw; a bug there must not break discovery
            {
                return (false, ex.GetType().Name + ": " + ex.Message);
            }
        });

        public static bool Available => State.Value.available;

        /// <summary>Null when the tests run; else why they are skipped.</summary>
        public static string? SkipReason =>
            Available || Required
                ? null
                : "PostgreSQL is not available: " + State.Value.reason +
                  " (these tests are skipped locally; with CI=true or ENGRAM_REQUIRE_POSTGRES=1 they fail instead).";

        /// <summary>Throws, with the reason, when PostgreSQL is needed but missing.</summary>
        public static void EnsureAvailable()
        {
            if (!Available)
                throw new InvalidOperationException(
                    "PostgreSQL is required (CI=true or ENGRAM_REQUIRE_POSTGRES=1) but not available: " + State.Value.reason);
        }
    }
}
