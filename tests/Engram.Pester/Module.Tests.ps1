# The module as PowerShell sees it: manifest, exported commands, help, completion, formatting.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'The Engram module' {
    It 'passes Test-ModuleManifest' {
        $m = Test-ModuleManifest (Join-Path (Get-Module Engram).ModuleBase 'Engram.psd1')
        $m.Name | Should -Be 'Engram'
        $m.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
    }

    It 'carries what the gallery shows' {
        $psData = (Import-PowerShellDataFile (Join-Path (Get-Module Engram).ModuleBase 'Engram.psd1')).PrivateData.PSData
        foreach ($tag in 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS') { $psData.Tags | Should -Contain $tag }
        $psData.ProjectUri | Should -Not -BeNullOrEmpty
        $psData.LicenseUri | Should -Not -BeNullOrEmpty
        $psData.ReleaseNotes | Should -Not -BeNullOrEmpty
    }

    It 'exports only Engram cmdlets, all with the Verb-EngramNoun form and an approved verb' {
        $approved = (Get-Verb).Verb
        $commands = Get-Command -Module Engram
        $commands.Count | Should -BeGreaterOrEqual 24
        foreach ($c in $commands) {
            $c.Name | Should -Match '^[A-Z][a-z]+-Engram[A-Za-z]+$'
            $approved | Should -Contain $c.Verb
        }
    }

    It 'has help with a synopsis and an example for <_>' -ForEach @('Set-EngramMemory', 'Get-EngramMemory', 'Merge-EngramBranch', 'Find-EngramMemory', 'Copy-EngramStore') {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$_ *"
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
    }

    It 'has about_Engram' {
        (Get-Help about_Engram | Out-String) | Should -Match 'Engram'
    }

    It 'supports -WhatIf and -Confirm on every command that changes the store' {
        foreach ($name in 'Set-EngramMemory', 'Remove-EngramMemory', 'New-EngramFork', 'Merge-EngramBranch', 'Remove-EngramBranch', 'Copy-EngramStore', 'Restore-EngramMemory') {
            (Get-Command $name).Parameters.Keys | Should -Contain 'WhatIf'
        }
    }

    It 'renders memories as a table with Namespace, Key and Value' {
        $store = New-TestStore
        Set-EngramMemory -Store $store shared deploy-target 'production'
        $text = Get-EngramMemory -Store $store | Out-String -Width 120
        $text | Should -Match 'Namespace'
        $text | Should -Match 'deploy-target'
        $text | Should -Match 'production'
    }

    It 'completes namespace names' {
        $store = New-TestStore
        Set-EngramMemory -Store $store project-x a 1
        $line = "Get-EngramMemory -Store '$store' -Namespace proj"
        $completions = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completions.CompletionMatches.CompletionText | Should -Contain 'projects'
    }
}
