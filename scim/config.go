package scim

// MaxBodyBytes bounds a request body; the service provider configuration advertises it.
const MaxBodyBytes = 1 << 20

// ServiceProviderConfig returns the service provider configuration of the endpoint at base (RFC 7643 section 5).
func ServiceProviderConfig(base string) map[string]any {
	return map[string]any{
		"schemas":        []string{SPConfigSchema},
		"patch":          map[string]any{"supported": true},
		"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":         map[string]any{"supported": true, "maxResults": MaxCount},
		"changePassword": map[string]any{"supported": false},
		"sort":           map[string]any{"supported": true},
		"etag":           map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "Bearer token",
			"description": "A SCIM token of the directory, created by its admin in the portal, the API or the CLI.",
			"primary":     true,
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	}
}

// ResourceTypeDoc returns the ResourceType resource of rt.
func ResourceTypeDoc(rt *ResourceType, base string) map[string]any {
	doc := map[string]any{
		"schemas": []string{ResourceTypeURN}, "id": rt.Name, "name": rt.Name, "endpoint": rt.Endpoint,
		"description": rt.Schema.Description, "schema": rt.Schema.ID,
		"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/" + rt.Name},
	}
	if len(rt.Extensions) > 0 {
		var exts []any
		for _, e := range rt.Extensions {
			exts = append(exts, map[string]any{"schema": e.ID, "required": false})
		}
		doc["schemaExtensions"] = exts
	}
	return doc
}

// ResourceTypes are the resource types the endpoint serves.
var ResourceTypes = []*ResourceType{Users, Groups}

// SchemaDoc returns the Schema resource of s; the common attributes (id, externalId, meta) are described with each
// resource's core schema.
func SchemaDoc(s *Schema, base string) map[string]any {
	attrs := s.Attributes
	if s == userSchema || s == groupSchema {
		attrs = append(append([]*Attribute{}, common...), attrs...)
	}
	return map[string]any{"schemas": []string{SchemaSchema}, "id": s.ID, "name": s.Name,
		"description": s.Description, "attributes": attrs,
		"meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + s.ID}}
}

// Schemas are the schemas the endpoint serves.
var Schemas = []*Schema{userSchema, enterpriseSchema, groupSchema}
