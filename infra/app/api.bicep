// Flex Consumption plan and the function app. Every connection is identity-based: the app
// settings carry service URIs and the managed identity's client id, never a key.

@description('Region of the plan and the app.')
param location string

@description('Tags applied to the plan and the app; the app also gets the azd service tag.')
param tags { *: string }

@description('Name of the Flex Consumption plan.')
param planName string

@description('Globally unique name of the function app (becomes <name>.azurewebsites.net).')
param functionAppName string

@description('User-assigned managed identity the app runs as.')
param identityName string

@description('Storage account for the Functions host and the app\'s tables, blobs and queues.')
param storageAccountName string

@description('Blob container in that account that holds the deployment package.')
param deploymentContainerName string

@description('Application Insights component that receives logs and traces.')
param applicationInsightsName string

@description('Browser origins allowed to call the API (CORS).')
param corsAllowedOrigins string[]

@allowed([
  512
  2048
  4096
])
@description('Memory of each instance in MB; training reads it (DashAI__Training__InstanceMemoryMB) to refuse runs that cannot fit.')
param instanceMemoryMB int

@minValue(1)
@maxValue(1000)
@description('Upper bound on instances the app scales out to.')
param maximumInstanceCount int

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2026-06-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true // Linux: Flex Consumption runs on Linux only
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
    }
  }
}

// The complete app settings: this resource replaces whatever was there before. Only settings
// that differ from the app's documented defaults (local.settings.sample.json) or depend on the
// environment belong here; tests/DashAI.Functions.Tests/Deployment checks both directions.
resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    // Functions host and the app's own storage clients: managed identity, no account key.
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identity.properties.clientId
    AzureWebJobsStorage__blobServiceUri: storageAccount.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storageAccount.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storageAccount.properties.primaryEndpoints.table
    // The connection string names the component; with local auth disabled it authorizes nothing.
    // Telemetry is accepted only with an Entra ID token for the identity named below. The host and the
    // worker's OpenTelemetry exporter (src/DashAI.Functions/Telemetry) both read these two settings.
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
    // Training estimates a run's memory before fitting and refuses one that cannot fit this instance size.
    DashAI__Training__InstanceMemoryMB: string(instanceMemoryMB)
  }
}

// Basic (user name and password) publishing is off: deployments go through Entra ID (azd, az CLI).
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
