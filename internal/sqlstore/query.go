package sqlstore

import (
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/sqlquery"
)

// UserQueryColumns are the attributes a store's QueryUsers filters and sorts by, each with its column of the users
// table (alias u), the same on both engines. Text sorts in the database collation's order, the order of the user
// name index.
var UserQueryColumns = map[gatehouse.QueryAttr]sqlquery.Column{
	gatehouse.QueryID:             {Expr: "u.id"},
	gatehouse.QueryExternalID:     {Expr: "u.external_id"},
	gatehouse.QueryCreated:        {Expr: "u.created_at", Kind: sqlquery.Time},
	gatehouse.QueryUpdated:        {Expr: "u.updated_at", Kind: sqlquery.Time},
	gatehouse.QueryUserName:       {Expr: "u.user_name_key", Kind: sqlquery.Folded},
	gatehouse.QueryDisplayName:    {Expr: "u.display_name_key", Kind: sqlquery.Folded},
	gatehouse.QueryGivenName:      {Expr: "u.first_name_key", Kind: sqlquery.Folded},
	gatehouse.QueryFamilyName:     {Expr: "u.last_name_key", Kind: sqlquery.Folded},
	gatehouse.QueryMail:           {Expr: "u.mail_key", Kind: sqlquery.Folded},
	gatehouse.QueryActive:         {Expr: "u.disabled", Kind: sqlquery.Bool, Negated: true},
	gatehouse.QueryDepartment:     {Expr: "u.department"},
	gatehouse.QueryEmployeeNumber: {Expr: "u.employee_number"},
	gatehouse.QueryCostCenter:     {Expr: "u.cost_center"},
	gatehouse.QueryOrganization:   {Expr: "u.organization"},
	gatehouse.QueryDivision:       {Expr: "u.division"},
	gatehouse.QueryManagerID:      {Expr: "u.manager_id"},
}

// GroupQueryColumns are the attributes a store's QueryGroups filters and sorts by (the groups table, alias g).
var GroupQueryColumns = map[gatehouse.QueryAttr]sqlquery.Column{
	gatehouse.QueryID:          {Expr: "g.id"},
	gatehouse.QueryExternalID:  {Expr: "g.external_id"},
	gatehouse.QueryCreated:     {Expr: "g.created_at", Kind: sqlquery.Time},
	gatehouse.QueryUpdated:     {Expr: "g.updated_at", Kind: sqlquery.Time},
	gatehouse.QueryDisplayName: {Expr: "g.name_key", Kind: sqlquery.Folded},
	gatehouse.QueryMember: {Kind: sqlquery.Exists,
		Expr: `EXISTS (SELECT 1 FROM group_members m WHERE m.directory_id = g.directory_id AND m.group_id = g.id
			AND m.user_id = %s)`,
		Present: `EXISTS (SELECT 1 FROM group_members m WHERE m.directory_id = g.directory_id AND m.group_id = g.id)`},
}
