// A Nexmark event: exactly one of person, auction or bid is set (Flink's POJO
// serializer handles the null fields). The fields and their order follow
// bench/nexmark/generator.ts, and toJson() writes the text JSON.stringify does.
package dev.weir.bench.flink;

public class Event {
  public Person person;
  public Auction auction;
  public Bid bid;

  public Event() {}

  /** The event's time in ms since the epoch. */
  public long dateTime() {
    return person != null ? person.dateTime : auction != null ? auction.dateTime : bid.dateTime;
  }

  public String toJson() {
    StringBuilder out = new StringBuilder(256).append('{');
    if (person != null) {
      Person p = person;
      Json.field(out, "type", "person");
      Json.field(out, "id", p.id);
      Json.field(out, "name", p.name);
      Json.field(out, "emailAddress", p.emailAddress);
      Json.field(out, "creditCard", p.creditCard);
      Json.field(out, "city", p.city);
      Json.field(out, "state", p.state);
      Json.field(out, "dateTime", p.dateTime);
      Json.field(out, "extra", p.extra);
    } else if (auction != null) {
      Auction a = auction;
      Json.field(out, "type", "auction");
      Json.field(out, "id", a.id);
      Json.field(out, "itemName", a.itemName);
      Json.field(out, "description", a.description);
      Json.field(out, "initialBid", a.initialBid);
      Json.field(out, "reserve", a.reserve);
      Json.field(out, "dateTime", a.dateTime);
      Json.field(out, "expires", a.expires);
      Json.field(out, "seller", a.seller);
      Json.field(out, "category", a.category);
      Json.field(out, "extra", a.extra);
    } else {
      Bid b = bid;
      Json.field(out, "type", "bid");
      Json.field(out, "auction", b.auction);
      Json.field(out, "bidder", b.bidder);
      Json.field(out, "price", b.price);
      Json.field(out, "channel", b.channel);
      Json.field(out, "url", b.url);
      Json.field(out, "dateTime", b.dateTime);
      Json.field(out, "extra", b.extra);
    }
    return out.append('}').toString();
  }

  public static class Person {
    public long id;
    public String name;
    public String emailAddress;
    public String creditCard;
    public String city;
    public String state;
    public long dateTime;
    public String extra;

    public Person() {}
  }

  public static class Auction {
    public long id;
    public String itemName;
    public String description;
    public long initialBid;
    public long reserve;
    public long dateTime;
    public long expires;
    public long seller;
    public long category;
    public String extra;

    public Auction() {}
  }

  public static class Bid {
    public long auction;
    public long bidder;
    public long price;
    public String channel;
    public String url;
    public long dateTime;
    public String extra;

    public Bid() {}
  }
}
