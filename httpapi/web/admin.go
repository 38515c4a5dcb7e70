package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/appraisal/appraisal/engine"
)

type accountView struct {
	ID                         int64
	Name, Email, Role, Created string
	Revoked                    string
	Active, HasPassword        bool
}

type usersData struct {
	Accounts []accountView
	// The add form, kept as typed when refused (never the password).
	Values map[string]string
	Errors map[string]string
}

func (p *Pages) users(w http.ResponseWriter, q *req) error {
	return p.usersPage(w, q, http.StatusOK, &usersData{Values: map[string]string{}, Errors: map[string]string{}})
}

func (p *Pages) usersPage(w http.ResponseWriter, q *req, status int, data *usersData) error {
	accounts, err := p.store.Accounts(q.Context())
	if err != nil {
		return err
	}
	for _, a := range accounts {
		av := accountView{ID: a.ID, Name: a.Name, Email: a.Email, Role: translate(q.Lang, "role."+string(a.Role)),
			Created: fmtDay(q.Lang, engine.Day(a.Created)), Active: a.Revoked.IsZero(), HasPassword: a.HasPassword}
		if !av.Active {
			av.Revoked = translate(q.Lang, "users.revoked", fmtDay(q.Lang, engine.Day(a.Revoked)))
		}
		data.Accounts = append(data.Accounts, av)
	}
	v := p.view(q, "users.title")
	v.Data = data
	switch {
	case len(data.Errors) > 0:
		v.Error = translate(q.Lang, "users.errors")
	case q.URL.Query().Get("added") != "":
		v.Notice = translate(q.Lang, "users.added", q.URL.Query().Get("added"))
	case q.URL.Query().Get("revoked") != "":
		v.Notice = translate(q.Lang, "users.revoked_done", q.URL.Query().Get("revoked"))
	}
	return p.render(w, q, status, "users", v)
}

// addUser adds a person who signs in with email and password. The user
// also gets an API token, as every user has one, but it is not shown:
// programs get theirs from `appraisal users add`.
func (p *Pages) addUser(w http.ResponseWriter, q *req) error {
	data := &usersData{Values: map[string]string{}, Errors: map[string]string{}}
	for _, f := range []string{"name", "role", "email"} {
		data.Values[f] = q.PostFormValue(f)
	}
	name, role, email := strings.TrimSpace(data.Values["name"]), engine.Role(data.Values["role"]), data.Values["email"]
	password := q.PostFormValue("password")
	if name == "" || engine.CheckText("name", name, engine.MaxNameLen) != nil {
		data.Errors["name"] = translate(q.Lang, "err.name")
	}
	if !role.Valid() {
		data.Errors["role"] = translate(q.Lang, "err.role")
	}
	if !strings.Contains(email, "@") || len(email) > 254 {
		data.Errors["email"] = translate(q.Lang, "err.email")
	}
	if engine.CheckPasswordPolicy(password) != nil {
		data.Errors["password"] = translate(q.Lang, "err.password")
	}
	if len(data.Errors) > 0 {
		return p.usersPage(w, q, http.StatusUnprocessableEntity, data)
	}
	hash, err := engine.HashPassword(password)
	if err != nil {
		return err
	}
	_, tokenHash := engine.NewToken()
	a, err := p.store.CreateUserWithPassword(q.Context(), name, role, tokenHash, email, hash)
	var e *engine.Error
	if errors.As(err, &e) && e.Field != "" && (e.Code == engine.EINVALID || e.Code == engine.ECONFLICT) {
		key := "err." + e.Field
		if e.Code == engine.ECONFLICT && e.Field == "email" {
			key = "err.email_taken"
		}
		data.Errors[e.Field] = translate(q.Lang, key)
		return p.usersPage(w, q, http.StatusUnprocessableEntity, data)
	}
	if err != nil {
		return err
	}
	p.log.InfoContext(q.Context(), "user added", "user", a.ID, "role", a.Role, "by", q.Actor.ID)
	http.Redirect(w, q.Request, "/admin/users?added="+urlQueryEscape(a.Name), http.StatusSeeOther)
	return nil
}

func (p *Pages) revokeUser(w http.ResponseWriter, q *req) error {
	id, err := strconv.ParseInt(mux.Vars(q.Request)["id"], 10, 64)
	if err != nil {
		return engine.Errorf(engine.ENOTFOUND, "no user")
	}
	accounts, err := p.store.Accounts(q.Context())
	if err != nil {
		return err
	}
	name := ""
	for _, a := range accounts {
		if a.ID == id {
			name = a.Name
		}
	}
	if err := p.store.RevokeAccount(q.Context(), id); err != nil && engine.ErrorCode(err) != engine.ECONFLICT {
		return err
	}
	p.log.InfoContext(q.Context(), "user revoked", "user", id, "by", q.Actor.ID)
	http.Redirect(w, q.Request, fmt.Sprintf("/admin/users?revoked=%s", urlQueryEscape(name)), http.StatusSeeOther)
	return nil
}
