using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using Engram.Core;
using Engram.Storage.Sql;

namespace Engram.PowerShell
{
    /// <summary>Shared logic for completers: which store the command line points at.</summary>
    internal static class CompletionSupport
    {
        public static IEngramStore? StoreFrom(IDictionary fakeBoundParameters)
        {
            try
            {
                var raw = fakeBoundParameters["Store"] as string;
                if (string.IsNullOrEmpty(raw)) raw = StoreLocator.DefaultRoot();
                var store = EngramBackends.Open(raw!, p => Path.IsPathRooted(p) ? p : Path.Combine(CurrentLocation(), p));
                return store.Exists ? store : null;
            }
            catch (Exception)
            {
                return null; // completion must never throw
            }
        }

        /// <summary>The PowerShell location (what -Store resolves against), not the process's current directory.</summary>
        private static string CurrentLocation()
        {
            // Completers run on the pipeline thread, where Runspace.DefaultRunspace.SessionStateProxy.Path is null:
            // ask the engine through a nested pipeline instead.
            try
            {
                using (var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace))
                {
                    ps.AddScript("$ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath");
                    var result = ps.Invoke();
                    if (result.Count == 1 && result[0]?.BaseObject is string location && location.Length > 0) return location;
                }
            }
            catch (Exception)
            {
                // fall back below
            }
            return Runspace.DefaultRunspace?.SessionStateProxy?.Path?.CurrentFileSystemLocation?.ProviderPath
                   ?? Directory.GetCurrentDirectory();
        }

        /// <summary>The -Namespace already on the command line (the first, when several are given).</summary>
        public static string? NamespaceFrom(IDictionary fakeBoundParameters)
        {
            var ns = fakeBoundParameters["Namespace"];
            return ns is string s ? s : (ns as IEnumerable)?.Cast<object>().FirstOrDefault()?.ToString();
        }

        /// <summary>Characters that make a completion need quotes in PowerShell.</summary>
        private static readonly char[] NeedsQuotes = { ' ', '\'', '"', '$', '`', '(', ')', '{', '}', ';', ',', '@', '&', '#', '|', '<', '>', '[', ']' };

        public static IEnumerable<CompletionResult> Complete(IEnumerable<string> candidates, string wordToComplete, string kind)
        {
            var word = (wordToComplete ?? "").Trim('\'', '"');
            var pattern = new WildcardPattern(WildcardPattern.Escape(word) + "*", WildcardOptions.IgnoreCase);
            foreach (var c in candidates.Where(c => pattern.IsMatch(c)))
            {
                var text = c.IndexOfAny(NeedsQuotes) >= 0
                    ? "'" + c.Replace("'", "''") + "'"
                    : c;
                yield return new CompletionResult(text, c, CompletionResultType.ParameterValue, kind + " " + c);
            }
        }
    }

    /// <summary>Completes -Namespace with the store's namespaces (standard ones included).</summary>
    public sealed class NamespaceCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var store = CompletionSupport.StoreFrom(fakeBoundParameters);
            IEnumerable<string> names = store == null
                ? Names.StandardNamespaces
                : store.ListNamespaces().Concat(Names.StandardNamespaces).Distinct().OrderBy(n => n, StringComparer.Ordinal);
            return CompletionSupport.Complete(names, wordToComplete, "namespace").ToList();
        }
    }

    /// <summary>Completes -Key with the keys of the namespace given by -Namespace.</summary>
    public sealed class KeyCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            try
            {
                var store = CompletionSupport.StoreFrom(fakeBoundParameters);
                var nsName = CompletionSupport.NamespaceFrom(fakeBoundParameters);
                if (store == null || string.IsNullOrEmpty(nsName) || !Names.IsValidNamespace(nsName)) return Array.Empty<CompletionResult>();
                var keys = store.List(nsName!).Select(l => l.Key).Where(k => k != null).Select(k => k!).Take(1000);
                return CompletionSupport.Complete(keys, wordToComplete, "key").ToList();
            }
            catch (Exception)
            {
                return Array.Empty<CompletionResult>();
            }
        }
    }
}

namespace Engram.PowerShell
{
    /// <summary>Completes -Branch with the branches of the namespace given by -Namespace (and main).</summary>
    public sealed class BranchCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) => Complete(wordToComplete, fakeBoundParameters, true);

        internal static IEnumerable<CompletionResult> Complete(string wordToComplete, IDictionary fakeBoundParameters, bool withMain)
        {
            try
            {
                var store = CompletionSupport.StoreFrom(fakeBoundParameters);
                var nsName = CompletionSupport.NamespaceFrom(fakeBoundParameters);
                var names = new List<string>();
                if (withMain) names.Add(Names.DefaultBranch);
                if (store != null)
                    names.AddRange(store.GetBranches(string.IsNullOrEmpty(nsName) || !Names.IsValidNamespace(nsName) ? null : nsName)
                        .Select(b => b.Record.Name));
                return CompletionSupport.Complete(names.Distinct(), wordToComplete, "branch").ToList();
            }
            catch (Exception)
            {
                return Array.Empty<CompletionResult>();
            }
        }
    }

    /// <summary>Completes -Branch of Remove-EngramBranch and Merge-EngramBranch: the namespace's branches, without main
    /// (main cannot be removed, nor merged into itself).</summary>
    public sealed class ForkBranchCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) => BranchCompleter.Complete(wordToComplete, fakeBoundParameters, false);
    }
}

namespace Engram.PowerShell
{
    /// <summary>Completes -Action with the well-known provenance actions.</summary>
    public sealed class ActionCompleter : IArgumentCompleter
    {
        internal static readonly string[] Known = { "revised", "synthesized", "crystallized", "refined", "summarized", "corrected", "restored" };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) =>
            CompletionSupport.Complete(Known, wordToComplete, "action").ToList();
    }
}
